/** All replicas of the tickets service share this consumer group. */
export const QUEUE_GROUP = 'tickets-service';
