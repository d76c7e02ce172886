/** Who a plan, its usage counters and AI credits belong to: a user, or a team. */
export type SubjectType = 'user' | 'team';

export interface Subject {
  type: SubjectType;
  id: string;
}
