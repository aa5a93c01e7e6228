/** All replicas of the orders service share this consumer group. */
export const QUEUE_GROUP = 'orders-service';
