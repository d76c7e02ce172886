/**
 * Every subject and stream is prefixed with the bus namespace, so several clusters (or test files)
 * can share one NATS server without their streams capturing each other's subjects.
 */
export const namespaced = (namespace: string, subject: string) =>
  namespace ? `${namespace}.${subject}` : subject;

/** One stream per producing service, named after the first token of its subjects. */
export function streamNameFor(namespace: string, subject: string): string {
  const service = subject.split('.')[0]!.toUpperCase();
  return namespace ? `${namespace.toUpperCase()}_${service}` : service;
}
