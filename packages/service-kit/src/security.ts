/** The OpenAPI security of a route that needs an access token (`bearer`, declared by buildService). */
export const bearerSecurity = [{ bearer: [] }];
