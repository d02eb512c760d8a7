// batch.h: streamgen's batched client on librdkafka's C API. One C call
// consumes a batch of records, one produces a batch, one collects a batch
// of delivery reports; Go reads records and reports from C memory.
#ifndef STREAMGEN_BATCH_H
#define STREAMGEN_BATCH_H

#include <pthread.h>

#include "rdk.h"

// sg_rec is one consumed record, pointing into librdkafka's message,
// valid until the next sg_consume or sg_close.
typedef struct {
  int err;
  const char *topic;
  int topic_len;
  int32_t partition;
  int64_t offset;
  const void *key;
  int64_t key_len; // -1: no key
  const void *val;
  int64_t val_len; // -1: no value
  int64_t ts_ms;   // -1: none
  int hdr_cnt;
} sg_rec;

// sg_ack is one delivery report.
typedef struct {
  uint64_t id;
  int err;
  int64_t offset;
} sg_ack;

typedef struct sg_client {
  rd_kafka_t *rk;
  rd_kafka_queue_t *q;
  rd_kafka_queue_t *main; // a producer's main queue (delivery reports), for sg_wake
  rd_kafka_queue_t *cq;   // a consumer's asynchronous commit results (sg_commit_async)
  rd_kafka_queue_t *tq;   // its explicit offset commits' results (sg_commit_offsets_async)
  uint64_t id;
  rd_kafka_message_t **msgs;
  size_t nmsgs;
  sg_rec *recs;
  size_t cap;
  // Delivery reports: the callback appends to acks under mu (librdkafka
  // may run it in any thread that serves the queue: the reports goroutine's
  // rd_kafka_poll, or the flush inside rd_kafka_commit_transaction);
  // sg_poll_acks swaps acks with out, which only its caller reads.
  pthread_mutex_t mu;
  sg_ack *acks;
  size_t nacks;
  size_t ackcap;
  sg_ack *out;
  size_t outcap;
} sg_client;

// sg_txn_err describes a failed transactional call, classified as
// librdkafka's rd_kafka_error_t says: retriable, requires abort, fatal.
typedef struct {
  int code;
  int fatal;
  int retriable;
  int abortable;
  char msg[512];
} sg_txn_err;

// Clients. sg_new creates a consumer or a producer (type
// SG_RD_KAFKA_CONSUMER or SG_RD_KAFKA_PRODUCER) with n librdkafka
// properties, carrying id for callbacks into Go; batch is a consumer's
// most records per sg_consume. NULL on failure, with errstr filled in.
sg_client *sg_new(int type, uint64_t id, char **keys, char **vals, int n, size_t batch, char *errstr, size_t errlen);
void sg_close(sg_client *c);
int sg_fatal(sg_client *c, char *errstr, size_t errlen);
// sg_limit_arenas caps glibc's malloc arenas at n (no-op elsewhere).
void sg_limit_arenas(int n);

// Consumers. Functions returning int return librdkafka's error code (0:
// none). Partition lists come as arrays: topics[i], parts[i], offs[i].
int sg_subscribe(sg_client *c, char **topics, int n);
ssize_t sg_consume(sg_client *c, int timeout_ms);
int sg_header(sg_client *c, size_t i, size_t idx, const char **name, const void **val, size_t *size);
// sg_rebalance_apply applies a rebalance (assign 1: an assignment, 0: a
// revocation), incrementally under the cooperative protocol; it returns
// NULL or an error message.
const char *sg_rebalance_apply(sg_client *c, rd_kafka_topic_partition_list_t *parts, int assign);
int sg_store(sg_client *c, char **topics, int32_t *parts, int64_t *offs, char **metas, int n);
int sg_commit(sg_client *c);
// sg_commit_async starts committing the stored offsets; its result comes
// from sg_commit_done. It returns an error code only if it cannot start.
int sg_commit_async(sg_client *c);
// sg_commit_done returns 1 and the result's error code (0: committed) of
// an asynchronous commit that finished, 0 when none did (it never waits).
int sg_commit_done(sg_client *c, int *err);
// sg_commit_offsets_async starts committing the given offsets, with their
// metadata (metas may be NULL, or hold NULLs), on a queue of their own;
// sg_commit_offsets_done reports their results as sg_commit_done does.
int sg_commit_offsets_async(sg_client *c, char **topics, int32_t *parts, int64_t *offs, char **metas, int n);
int sg_commit_offsets_done(sg_client *c, int *err);
// sg_committed fetches the group's committed offsets and their metadata
// (malloc'd strings, NULL when none; the caller frees them).
int sg_committed(sg_client *c, char **topics, int32_t *parts, int64_t *offs, char **metas, int n, int timeout_ms);
int sg_pause(sg_client *c, char **topics, int32_t *parts, int n, int pause);
// sg_seek seeks every partition in the list to its offset; it returns 0,
// librdkafka's error, or the first partition's error.
int sg_seek(sg_client *c, char **topics, int32_t *parts, int64_t *offs, int n, int timeout_ms, char *errstr, size_t errlen);

// sg_rewind seeks every partition in the list to its committed offset
// (the beginning when it has none), and writes the offsets to offs.
int sg_rewind(sg_client *c, char **topics, int32_t *parts, int64_t *offs, int n, int timeout_ms, char *errstr, size_t errlen);

// Readers: consumers outside a group, assigned to offsets.
int sg_assign_many(sg_client *c, char **topics, int32_t *parts, int64_t *offs, int n);
int64_t sg_position(sg_client *c, const char *topic, int32_t partition);
int sg_watermarks(sg_client *c, const char *topic, int32_t partition, int64_t *lo, int64_t *hi, int timeout_ms);

// Producers. buf holds keys, values and header names and values; offs
// describes them as (start, length) pairs, length -1 for NULL.
int sg_produce_batch(sg_client *c, rd_kafka_topic_t **rkts, int32_t *parts, uint64_t *ids,
                     char *buf, int64_t *offs, int n, int *done);
int sg_produce_headers(sg_client *c, rd_kafka_topic_t *rkt, int32_t part, uint64_t id,
                       char *buf, int64_t *offs, int nhdrs, int64_t ts_ms);
// sg_poll_acks serves the producer's queue for up to timeout_ms and moves
// the delivery reports collected so far to c->out; it returns their count.
int sg_poll_acks(sg_client *c, int timeout_ms);
// sg_flush_acks is sg_poll_acks through rd_kafka_flush: while it runs,
// librdkafka sends what is queued without waiting for linger.ms. It
// returns once nothing is outstanding or after timeout_ms.
int sg_flush_acks(sg_client *c, int timeout_ms);
// sg_wake makes a blocked sg_poll_acks return now (or the next one, if
// none is blocked).
void sg_wake(sg_client *c);

// Transactions. sg_txn_op names the calls of librdkafka's transactional
// API that sg_txn makes; Go mirrors them as txnOp.
typedef enum {
  SG_TXN_INIT = 0,   // rd_kafka_init_transactions
  SG_TXN_BEGIN = 1,  // rd_kafka_begin_transaction
  SG_TXN_COMMIT = 2, // rd_kafka_commit_transaction
  SG_TXN_ABORT = 3,  // rd_kafka_abort_transaction
} sg_txn_op;
// sg_txn makes the call op: 0 on success, else the error code (-1 if
// librdkafka gave none) with e filled in.
int sg_txn(sg_client *c, sg_txn_op op, int timeout_ms, sg_txn_err *e);
// sg_send_offsets adds offsets to the producer's open transaction, with
// the consumer's current group metadata (EOS v2).
int sg_send_offsets(sg_client *p, sg_client *consumer, char **topics, int32_t *parts, int64_t *offs, char **metas, int n,
                    int timeout_ms, sg_txn_err *e);

#endif
