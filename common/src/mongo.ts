/**
 * `@ticketing/common/mongo`: connecting mongoose and the conditional single-document writes that versioned
 * replicas rely on. Needs mongoose; not NATS.
 */
export { updateIfMatches } from './conditional-write';
export { CONFLICT, CONFLICT_ATTEMPTS, whileConflicting } from './conflict-retry';
export { findById } from './find-by-id';
export { GroupedInserts, type InsertTarget } from './grouped-inserts';
export { GroupedReads } from './grouped-reads';
export { KeyedQueue } from './keyed-queue';
export { connectMongo, isMongoConnected, type MongoConnection, type MongoConnectionOptions } from './mongo-connection';
export { type ApplyToReplica, type VersionedReplicaOptions, versionedReplica } from './versioned-replica';
