package kafka

// #include "batch.h"
//
// rd_kafka_resp_err_t rd_kafka_unsubscribe(rd_kafka_t *rk);
// rd_kafka_resp_err_t rd_kafka_assignment(rd_kafka_t *rk, rd_kafka_topic_partition_list_t **partitions);
// void rd_kafka_topic_partition_list_destroy(rd_kafka_topic_partition_list_t *rktparlist);
//
// // sg_assigned returns how many partitions the consumer has assigned, -1
// // on error.
// static int sg_assigned(sg_client *c) {
//   rd_kafka_topic_partition_list_t *l = NULL;
//   if (rd_kafka_assignment(c->rk, &l) != 0) return -1;
//   int n = l->cnt;
//   rd_kafka_topic_partition_list_destroy(l);
//   return n;
// }
//
// static int sg_unsubscribe(sg_client *c) { return rd_kafka_unsubscribe(c->rk); }
import "C"

import "time"

// leave unsubscribes and polls until the group's revocation has run
// through the RebalanceHandler and nothing is assigned any more, or until
// timeout; records polled meanwhile are dropped (they are not committed:
// the next owner reads them), and a Poll error ends it. Closing a consumer that still has partitions
// revokes them inside rd_kafka_consumer_close, where librdkafka's
// rd_kafka_assign was seen to block forever (here: 1 run in 9 of a
// two-worker test stopping during a rebalance; librdkafka issues #4884,
// #4527; the workaround its maintainers give is this one: unsubscribe,
// wait until nothing is assigned, then close).
func (kc *Consumer) leave(timeout time.Duration) {
	if C.sg_unsubscribe(kc.b.c) != 0 {
		return
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if n := C.sg_assigned(kc.b.c); n <= 0 {
			return
		}
		if _, err := kc.Poll(50*time.Millisecond, 1, nil); err != nil {
			// A failed client (fatal error) revokes nothing more: close it.
			kc.b.logger.Warn("leaving the group", "error", err)
			return
		}
	}
	kc.b.logger.Warn("partitions still assigned when leaving the group; closing anyway", "timeout", timeout)
}
