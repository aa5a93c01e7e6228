/**
 * `@ticketing/common/mongo`: connecting mongoose and the conditional single-document writes that versioned
 * replicas rely on. Needs mongoose; not NATS.
 */

export { KeyedQueue } from '../support/keyed-queue';
export { updateIfMatches } from './conditional-write';
export { CONFLICT, CONFLICT_ATTEMPTS, whileConflicting } from './conflict-retry';
export { connectMongo, isMongoConnected, type MongoConnection, type MongoConnectionOptions } from './connection';
export { findById } from './find-by-id';
export { GroupedInserts, type InsertTarget } from './grouped-inserts';
export { GroupedReads } from './grouped-reads';
export { type ApplyToReplica, type VersionedReplicaOptions, versionedReplica } from './versioned-replica';
