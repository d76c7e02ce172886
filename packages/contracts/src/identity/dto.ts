import { z } from 'zod';

export const userDto = z.object({
  id: z.uuid(),
  email: z.email(),
  username: z.string(),
  name: z.string().nullable(),
  organizationId: z.uuid(),
  active: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type UserDto = z.infer<typeof userDto>;

export const tokenPairDto = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
});

export const authResultDto = tokenPairDto.extend({ user: userDto });
