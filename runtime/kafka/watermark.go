package kafka

// #include <stdlib.h>
// #include "batch.h"
//
// rd_kafka_resp_err_t rd_kafka_get_watermark_offsets(rd_kafka_t *rk, const char *topic,
//     int32_t partition, int64_t *low, int64_t *high);
//
// // sg_high_watermark returns the partition's high watermark as the
// // consumer last saw it (rd_kafka_get_watermark_offsets: no request to
// // the broker; "the high offset is updated on each fetched message set"),
// // -1 when not known.
// static int64_t sg_high_watermark(sg_client *c, const char *topic, int32_t partition) {
//   int64_t lo = -1, hi = -1;
//   if (rd_kafka_get_watermark_offsets(c->rk, topic, partition, &lo, &hi) != 0) return -1;
//   return hi;
// }
import "C"

import (
	"context"
	"unsafe"
)

// Watermarks returns a partition's low and high watermarks, asked of its
// leader (rd_kafka_query_watermark_offsets: a broker round trip, 5 s each
// try, tried again while ctx lasts).
func (kc *Consumer) Watermarks(ctx context.Context, tp TopicPartition) (lo, hi int64, err error) {
	return kc.watermarks(ctx, tp)
}

// HighWatermark returns the offset after the last record of a partition
// the consumer fetches, as of its last fetch response, or -1 when it does
// not know it yet. It asks the broker nothing, so it may be called often
// (librdkafka's rd_kafka_get_watermark_offsets; the high watermark is
// updated with each fetched message set).
func (kc *Consumer) HighWatermark(tp TopicPartition) int64 {
	ct := C.CString(tp.Topic)
	defer C.free(unsafe.Pointer(ct))
	return int64(C.sg_high_watermark(kc.b.c, ct, C.int32_t(tp.Partition)))
}
