// batch.c: the C side of streamgen's batched client (declared in batch.h):
// client creation with its callbacks (rebalance and log into Go, delivery
// reports into a C array), batched consume and produce, offsets,
// transactions and reader calls, each a thin wrapper of librdkafka.
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "_cgo_export.h"

static void sg_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts, void *opaque) {
  sg_client *c = (sg_client *)opaque;
  sgGoRebalance(c->id, err, parts);
}

static void sg_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  sg_client *c = (sg_client *)opaque;
  pthread_mutex_lock(&c->mu);
  if (c->nacks == c->ackcap) {
    size_t cap = c->ackcap ? c->ackcap * 2 : 4096;
    sg_ack *a = realloc(c->acks, cap * sizeof(sg_ack));
    if (!a) abort();
    c->acks = a;
    c->ackcap = cap;
  }
  c->acks[c->nacks].id = (uint64_t)(uintptr_t)m->_private;
  c->acks[c->nacks].err = m->err;
  c->acks[c->nacks].offset = m->offset;
  c->nacks++;
  pthread_mutex_unlock(&c->mu);
}

static void sg_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  sg_client *c = (sg_client *)rd_kafka_opaque(rk);
  sgGoLog(c ? c->id : 0, level, (char *)fac, (char *)buf);
}

sg_client *sg_new(int type, uint64_t id, char **keys, char **vals, int n, size_t batch,
                  char *errstr, size_t errlen) {
  sg_client *c = calloc(1, sizeof(sg_client));
  if (!c) return NULL;
  c->id = id;
  pthread_mutex_init(&c->mu, NULL);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  for (int i = 0; i < n; i++) {
    if (rd_kafka_conf_set(conf, keys[i], vals[i], errstr, errlen) != 0) {
      rd_kafka_conf_destroy(conf);
      free(c);
      return NULL;
    }
  }
  rd_kafka_conf_set_opaque(conf, c);
  rd_kafka_conf_set_log_cb(conf, sg_log_cb);
  if (type == SG_RD_KAFKA_CONSUMER) {
    rd_kafka_conf_set_rebalance_cb(conf, sg_rebalance_cb);
  } else {
    rd_kafka_conf_set_dr_msg_cb(conf, sg_dr_cb);
  }
  c->rk = rd_kafka_new(type, conf, errstr, errlen);
  if (!c->rk) {
    rd_kafka_conf_destroy(conf);
    free(c);
    return NULL;
  }
  if (type == SG_RD_KAFKA_CONSUMER) {
    rd_kafka_poll_set_consumer(c->rk);
    c->q = rd_kafka_queue_get_consumer(c->rk);
    c->cap = batch;
    c->msgs = calloc(batch, sizeof(rd_kafka_message_t *));
    c->recs = calloc(batch, sizeof(sg_rec));
  } else {
    c->main = rd_kafka_queue_get_main(c->rk);
  }
  return c;
}

// sg_list builds the partition list topics[i], parts[i] (offset offs[i]
// unless offs is NULL); the caller destroys it.
static rd_kafka_topic_partition_list_t *sg_list(char **topics, int32_t *parts, int64_t *offs, int n) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
  for (int i = 0; i < n; i++) {
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_add(l, topics[i], parts[i]);
    if (offs) p->offset = offs[i];
  }
  return l;
}

// sg_list_md is sg_list with commit metadata metas[i] (none when metas
// or metas[i] is NULL), copied into the list, which frees it.
static rd_kafka_topic_partition_list_t *sg_list_md(char **topics, int32_t *parts, int64_t *offs, char **metas, int n) {
  rd_kafka_topic_partition_list_t *l = sg_list(topics, parts, offs, n);
  for (int i = 0; metas && i < n; i++) {
    if (!metas[i]) continue;
    size_t len = strlen(metas[i]);
    l->elems[i].metadata = malloc(len);
    memcpy(l->elems[i].metadata, metas[i], len);
    l->elems[i].metadata_size = len;
  }
  return l;
}

int sg_subscribe(sg_client *c, char **topics, int n) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
  for (int i = 0; i < n; i++) rd_kafka_topic_partition_list_add(l, topics[i], -1);
  int err = rd_kafka_subscribe(c->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  return err;
}

static void sg_release(sg_client *c) {
  for (size_t i = 0; i < c->nmsgs; i++) rd_kafka_message_destroy(c->msgs[i]);
  c->nmsgs = 0;
}

ssize_t sg_consume(sg_client *c, int timeout_ms) {
  sg_release(c);
  // What is queued now, without waiting: rd_kafka_consume_batch_queue
  // waits until its batch is full or the timeout passes, so with a timeout
  // a record arriving on a quiet stream waited up to the whole timeout
  // (p50 58 ms end to end at 1,000 records/s). When nothing is queued, wait
  // for the first record only, then take what arrived with it.
  ssize_t n = rd_kafka_consume_batch_queue(c->q, 0, c->msgs, c->cap);
  if (n == 0 && timeout_ms > 0) {
    rd_kafka_message_t *first = rd_kafka_consume_queue(c->q, timeout_ms);
    if (first) {
      c->msgs[0] = first;
      ssize_t more = c->cap > 1 ? rd_kafka_consume_batch_queue(c->q, 0, c->msgs + 1, c->cap - 1) : 0;
      n = 1 + (more > 0 ? more : 0);
    }
  }
  if (n < 0) return n;
  c->nmsgs = (size_t)n;
  for (ssize_t i = 0; i < n; i++) {
    rd_kafka_message_t *m = c->msgs[i];
    sg_rec *r = &c->recs[i];
    r->err = m->err;
    r->topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    r->topic_len = (int)strlen(r->topic);
    r->partition = m->partition;
    r->offset = m->offset;
    r->key = m->key;
    r->key_len = m->key ? (int64_t)m->key_len : -1;
    r->val = m->payload;
    r->val_len = m->payload ? (int64_t)m->len : -1;
    int tstype = 0;
    r->ts_ms = m->err ? -1 : rd_kafka_message_timestamp(m, &tstype);
    r->hdr_cnt = 0;
    rd_kafka_headers_t *h = NULL;
    if (!m->err && rd_kafka_message_headers(m, &h) == 0 && h) r->hdr_cnt = (int)rd_kafka_header_cnt(h);
  }
  return n;
}

int sg_header(sg_client *c, size_t i, size_t idx, const char **name, const void **val, size_t *size) {
  rd_kafka_headers_t *h = NULL;
  if (i >= c->nmsgs || rd_kafka_message_headers(c->msgs[i], &h) != 0 || !h) return -1;
  return rd_kafka_header_get_all(h, idx, name, val, size);
}

const char *sg_rebalance_apply(sg_client *c, rd_kafka_topic_partition_list_t *parts, int assign) {
  static __thread char buf[512];
  // NULL before the consumer has joined a group (a close racing the first
  // join revokes through here too).
  const char *proto = rd_kafka_rebalance_protocol(c->rk);
  if (proto && strcmp(proto, "COOPERATIVE") == 0) {
    rd_kafka_error_t *e = assign ? rd_kafka_incremental_assign(c->rk, parts)
                                 : rd_kafka_incremental_unassign(c->rk, parts);
    if (e) {
      strncpy(buf, rd_kafka_error_string(e), sizeof(buf) - 1);
      buf[sizeof(buf) - 1] = 0;
      rd_kafka_error_destroy(e);
      return buf;
    }
    return NULL;
  }
  int err = rd_kafka_assign(c->rk, assign ? parts : NULL);
  return err ? rd_kafka_err2str(err) : NULL;
}

int sg_store(sg_client *c, char **topics, int32_t *parts, int64_t *offs, char **metas, int n) {
  rd_kafka_topic_partition_list_t *l = sg_list_md(topics, parts, offs, metas, n);
  int err = rd_kafka_offsets_store(c->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  return err;
}

int sg_commit(sg_client *c) { return rd_kafka_commit(c->rk, NULL, 0); }

int sg_commit_async(sg_client *c) {
  if (!c->cq) c->cq = rd_kafka_queue_new(c->rk);
  // With a queue, the commit is asynchronous and its result is an
  // RD_KAFKA_EVENT_OFFSET_COMMIT event there (rd_kafka_commit_queue).
  return rd_kafka_commit_queue(c->rk, NULL, c->cq, NULL, NULL);
}

int sg_commit_offsets_async(sg_client *c, char **topics, int32_t *parts, int64_t *offs, char **metas, int n) {
  if (!c->tq) c->tq = rd_kafka_queue_new(c->rk);
  rd_kafka_topic_partition_list_t *l = sg_list_md(topics, parts, offs, metas, n);
  int err = rd_kafka_commit_queue(c->rk, l, c->tq, NULL, NULL);
  rd_kafka_topic_partition_list_destroy(l);
  return err;
}

// sg_queue_done takes a finished commit's result off q (NULL: none
// started yet): 1 and its error code, or 0 when none finished.
static int sg_queue_done(rd_kafka_queue_t *q, int *err) {
  if (!q) return 0;
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 0);
  if (!ev) return 0;
  *err = rd_kafka_event_error(ev);
  rd_kafka_event_destroy(ev);
  return 1;
}

int sg_commit_offsets_done(sg_client *c, int *err) { return sg_queue_done(c->tq, err); }

int sg_committed(sg_client *c, char **topics, int32_t *parts, int64_t *offs, char **metas, int n, int timeout_ms) {
  rd_kafka_topic_partition_list_t *l = sg_list(topics, parts, NULL, n);
  int code = rd_kafka_committed(c->rk, l, timeout_ms);
  if (code) {
    rd_kafka_topic_partition_list_destroy(l);
    return code;
  }
  for (int i = 0; i < l->cnt; i++) {
    if (l->elems[i].err) {
      code = l->elems[i].err;
      break;
    }
  }
  for (int i = 0; !code && i < l->cnt; i++) {
    // librdkafka may reorder the list: report by topic and partition.
    for (int j = 0; j < n; j++) {
      if (parts[j] != l->elems[i].partition || strcmp(topics[j], l->elems[i].topic) != 0) continue;
      offs[j] = l->elems[i].offset;
      metas[j] = NULL;
      if (l->elems[i].metadata && l->elems[i].metadata_size > 0) {
        metas[j] = malloc(l->elems[i].metadata_size + 1);
        memcpy(metas[j], l->elems[i].metadata, l->elems[i].metadata_size);
        metas[j][l->elems[i].metadata_size] = 0;
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(l);
  return code;
}

int sg_commit_done(sg_client *c, int *err) { return sg_queue_done(c->cq, err); }

void sg_close(sg_client *c) {
  if (c->q) {
    sg_release(c);
    rd_kafka_consumer_close(c->rk);
    sg_release(c);
    rd_kafka_queue_destroy(c->q);
  }
  if (c->cq) rd_kafka_queue_destroy(c->cq);
  if (c->tq) rd_kafka_queue_destroy(c->tq);
  if (c->main) rd_kafka_queue_destroy(c->main);
  rd_kafka_destroy(c->rk);
  free(c->msgs);
  free(c->recs);
  free(c->acks);
  free(c->out);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

int sg_produce_batch(sg_client *c, rd_kafka_topic_t **rkts, int32_t *parts, uint64_t *ids,
                     char *buf, int64_t *offs, int n, int *done) {
  for (int i = 0; i < n; i++) {
    int64_t *o = &offs[4 * i]; // key start, key len (-1: none), value start, value len
    const void *key = o[1] < 0 ? NULL : buf + o[0];
    size_t keylen = o[1] < 0 ? 0 : (size_t)o[1];
    void *val = o[3] < 0 ? NULL : buf + o[2]; // NULL: a tombstone
    size_t vallen = o[3] < 0 ? 0 : (size_t)o[3];
    if (rd_kafka_produce(rkts[i], parts[i], SG_RD_KAFKA_MSG_F_COPY | SG_RD_KAFKA_MSG_F_BLOCK,
                         val, vallen, key, keylen, (void *)(uintptr_t)ids[i]) != 0) {
      *done = i;
      return rd_kafka_last_error();
    }
  }
  *done = n;
  return 0;
}

int sg_produce_headers(sg_client *c, rd_kafka_topic_t *rkt, int32_t part, uint64_t id,
                       char *buf, int64_t *offs, int nhdrs, int64_t ts_ms) {
  // offs: key start/len, value start/len, then per header: name start/len, value start/len
  rd_kafka_headers_t *h = rd_kafka_headers_new((size_t)nhdrs);
  for (int i = 0; i < nhdrs; i++) {
    int64_t *o = &offs[4 + 4 * i];
    rd_kafka_header_add(h, buf + o[0], (ssize_t)o[1], buf + o[2], (ssize_t)o[3]);
  }
  const void *key = offs[1] < 0 ? NULL : buf + offs[0];
  size_t keylen = offs[1] < 0 ? 0 : (size_t)offs[1];
  int err = rd_kafka_producev(c->rk, SG_VTYPE_RKT, rkt, SG_VTYPE_PARTITION, (int32_t)part,
                              SG_VTYPE_VALUE, (void *)(buf + offs[2]), (size_t)offs[3],
                              SG_VTYPE_KEY, key, keylen,
                              SG_VTYPE_OPAQUE, (void *)(uintptr_t)id,
                              SG_VTYPE_MSGFLAGS, SG_RD_KAFKA_MSG_F_COPY | SG_RD_KAFKA_MSG_F_BLOCK,
                              SG_VTYPE_TIMESTAMP, (int64_t)(ts_ms > 0 ? ts_ms : 0),
                              SG_VTYPE_HEADERS, h, SG_VTYPE_END);
  if (err) rd_kafka_headers_destroy(h);
  return err;
}

// sg_take_acks moves the delivery reports collected so far to c->out.
static int sg_take_acks(sg_client *c) {
  pthread_mutex_lock(&c->mu);
  int n = (int)c->nacks;
  sg_ack *full = c->acks;
  size_t fullcap = c->ackcap;
  c->acks = c->out;
  c->ackcap = c->outcap;
  c->nacks = 0;
  c->out = full;
  c->outcap = fullcap;
  pthread_mutex_unlock(&c->mu);
  return n;
}

int sg_poll_acks(sg_client *c, int timeout_ms) {
  rd_kafka_poll(c->rk, timeout_ms);
  return sg_take_acks(c);
}

int sg_flush_acks(sg_client *c, int timeout_ms) {
  // rd_kafka_flush serves the queue as rd_kafka_poll does (the delivery
  // report callback fills c->acks) and, for as long as it runs, makes the
  // broker threads treat linger.ms as elapsed (rk_flushing).
  rd_kafka_flush(c->rk, timeout_ms);
  return sg_take_acks(c);
}

void sg_wake(sg_client *c) { rd_kafka_queue_yield(c->main); }

static int sg_txn_fill(rd_kafka_error_t *err, sg_txn_err *e) {
  if (!err) return 0;
  e->code = rd_kafka_error_code(err);
  e->fatal = rd_kafka_error_is_fatal(err);
  e->retriable = rd_kafka_error_is_retriable(err);
  e->abortable = rd_kafka_error_txn_requires_abort(err);
  strncpy(e->msg, rd_kafka_error_string(err), sizeof(e->msg) - 1);
  e->msg[sizeof(e->msg) - 1] = 0;
  rd_kafka_error_destroy(err);
  return e->code ? e->code : -1;
}

int sg_txn(sg_client *c, sg_txn_op op, int timeout_ms, sg_txn_err *e) {
  rd_kafka_error_t *err = NULL;
  switch (op) {
  case SG_TXN_INIT: err = rd_kafka_init_transactions(c->rk, timeout_ms); break;
  case SG_TXN_BEGIN: err = rd_kafka_begin_transaction(c->rk); break;
  case SG_TXN_COMMIT: err = rd_kafka_commit_transaction(c->rk, timeout_ms); break;
  case SG_TXN_ABORT: err = rd_kafka_abort_transaction(c->rk, timeout_ms); break;
  }
  return sg_txn_fill(err, e);
}

int sg_send_offsets(sg_client *p, sg_client *consumer, char **topics, int32_t *parts, int64_t *offs, char **metas, int n,
                    int timeout_ms, sg_txn_err *e) {
  rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(consumer->rk);
  if (!md) {
    e->code = -1;
    e->fatal = 0;
    e->retriable = 0;
    e->abortable = 1;
    strcpy(e->msg, "the consumer has no group metadata");
    return -1;
  }
  rd_kafka_topic_partition_list_t *l = sg_list_md(topics, parts, offs, metas, n);
  rd_kafka_error_t *err = rd_kafka_send_offsets_to_transaction(p->rk, l, md, timeout_ms);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_group_metadata_destroy(md);
  return sg_txn_fill(err, e);
}

int sg_seek(sg_client *c, char **topics, int32_t *parts, int64_t *offs, int n, int timeout_ms, char *errstr, size_t errlen) {
  rd_kafka_topic_partition_list_t *l = sg_list(topics, parts, offs, n);
  int code = 0;
  rd_kafka_error_t *err = rd_kafka_seek_partitions(c->rk, l, timeout_ms);
  if (err) {
    code = rd_kafka_error_code(err);
    strncpy(errstr, rd_kafka_error_string(err), errlen - 1);
    errstr[errlen - 1] = 0;
    rd_kafka_error_destroy(err);
  } else {
    for (int i = 0; i < l->cnt; i++) {
      if (l->elems[i].err) {
        code = l->elems[i].err;
        strncpy(errstr, rd_kafka_err2str(code), errlen - 1);
        errstr[errlen - 1] = 0;
        break;
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(l);
  return code;
}

int sg_rewind(sg_client *c, char **topics, int32_t *parts, int64_t *offs, int n, int timeout_ms, char *errstr, size_t errlen) {
  rd_kafka_topic_partition_list_t *l = sg_list(topics, parts, NULL, n);
  int code = rd_kafka_committed(c->rk, l, timeout_ms);
  if (code) {
    strncpy(errstr, rd_kafka_err2str(code), errlen - 1);
    errstr[errlen - 1] = 0;
    rd_kafka_topic_partition_list_destroy(l);
    return code;
  }
  for (int i = 0; i < l->cnt; i++) {
    // A partition's error (e.g. UNSTABLE_OFFSET_COMMIT: a transaction still
    // holds offsets of the group) comes with no offset: it is not "the
    // group has none", which rewinds to the beginning.
    if (l->elems[i].err) {
      code = l->elems[i].err;
      strncpy(errstr, rd_kafka_err2str(code), errlen - 1);
      errstr[errlen - 1] = 0;
      rd_kafka_topic_partition_list_destroy(l);
      return code;
    }
  }
  for (int i = 0; i < l->cnt; i++) {
    if (l->elems[i].offset < 0) l->elems[i].offset = SG_RD_KAFKA_OFFSET_BEGINNING;
    // librdkafka may reorder the list: report by topic and partition.
    for (int j = 0; j < n; j++) {
      if (parts[j] == l->elems[i].partition && strcmp(topics[j], l->elems[i].topic) == 0) offs[j] = l->elems[i].offset;
    }
  }
  rd_kafka_error_t *err = rd_kafka_seek_partitions(c->rk, l, timeout_ms);
  if (!err) {
    for (int i = 0; i < l->cnt; i++) {
      if (l->elems[i].err) {
        code = l->elems[i].err;
        strncpy(errstr, rd_kafka_err2str(code), errlen - 1);
        errstr[errlen - 1] = 0;
        break;
      }
    }
  } else {
    code = rd_kafka_error_code(err);
    strncpy(errstr, rd_kafka_error_string(err), errlen - 1);
    errstr[errlen - 1] = 0;
    rd_kafka_error_destroy(err);
  }
  rd_kafka_topic_partition_list_destroy(l);
  return code;
}

int sg_fatal(sg_client *c, char *errstr, size_t errlen) { return rd_kafka_fatal_error(c->rk, errstr, errlen); }

int sg_watermarks(sg_client *c, const char *topic, int32_t partition, int64_t *lo, int64_t *hi, int timeout_ms) {
  return rd_kafka_query_watermark_offsets(c->rk, topic, partition, lo, hi, timeout_ms);
}

int64_t sg_position(sg_client *c, const char *topic, int32_t partition) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, partition);
  int64_t pos = -1;
  if (rd_kafka_position(c->rk, l) == 0 && l->cnt == 1) pos = l->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(l);
  return pos;
}

int sg_assign_many(sg_client *c, char **topics, int32_t *parts, int64_t *offs, int n) {
  rd_kafka_topic_partition_list_t *l = sg_list(topics, parts, offs, n);
  int err = rd_kafka_assign(c->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  return err;
}

int sg_pause(sg_client *c, char **topics, int32_t *parts, int n, int pause) {
  rd_kafka_topic_partition_list_t *l = sg_list(topics, parts, NULL, n);
  int err = pause ? rd_kafka_pause_partitions(c->rk, l) : rd_kafka_resume_partitions(c->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  return err;
}

void sg_limit_arenas(int n) {
#ifdef M_ARENA_MAX
  mallopt(M_ARENA_MAX, n);
#endif
}
