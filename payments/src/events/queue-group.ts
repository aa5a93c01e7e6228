/** All replicas of the payments service share this consumer group. */
export const QUEUE_GROUP = 'payments-service';
