package kafka

// #include <stdlib.h>
// #include "batch.h"
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// TxnError is a failed transactional call, classified as librdkafka
// classifies it (rd_kafka_error_is_fatal, rd_kafka_error_is_retriable,
// rd_kafka_error_txn_requires_abort). librdkafka's rules, which the worker
// follows:
//   - Retriable: the same call may be repeated (e.g. a commit that timed
//     out; the transaction is still open and may still commit).
//   - RequiresAbort: the transaction cannot commit; call AbortTransaction,
//     rewind the consumer to its committed offsets and process again.
//   - Fatal: the producer is unusable (e.g. fenced by a newer producer with
//     the same transactional.id, _FENCED); it must be closed and replaced.
type TxnError struct {
	// Op is the call that failed: "init", "begin", "send offsets",
	// "commit" or "abort".
	Op string
	// Code is librdkafka's error code.
	Code int
	// Msg is librdkafka's description.
	Msg string
	// Fatal, Retriable and RequiresAbort classify the error.
	Fatal, Retriable, RequiresAbort bool
}

// Error describes the failed call and its class.
func (e *TxnError) Error() string {
	class := ""
	switch {
	case e.Fatal:
		class = " (fatal)"
	case e.RequiresAbort:
		class = " (transaction must be aborted)"
	case e.Retriable:
		class = " (retriable)"
	}
	return fmt.Sprintf("%s transaction: %s%s", e.Op, e.Msg, class)
}

var txnOps = [...]string{"init", "begin", "commit", "abort"}

func (kp *Producer) txn(op int, timeout time.Duration) error {
	var e C.sg_txn_err
	if C.sg_txn(kp.b.c, C.int(op), C.int(timeout/time.Millisecond), &e) == 0 {
		return nil
	}
	return txnError(txnOps[op], &e)
}

func txnError(op string, e *C.sg_txn_err) *TxnError {
	return &TxnError{Op: op, Code: int(e.code), Msg: C.GoString(&e.msg[0]),
		Fatal: e.fatal != 0, Retriable: e.retriable != 0, RequiresAbort: e.abortable != 0}
}

// InitTransactions registers the transactional id with its coordinator,
// fencing any older producer with the same id and aborting the
// transaction it left open. Call it once, before BeginTransaction.
func (kp *Producer) InitTransactions(timeout time.Duration) error { return kp.txn(0, timeout) }

// BeginTransaction starts a transaction; records produced until it is
// committed or aborted belong to it.
func (kp *Producer) BeginTransaction() error { return kp.txn(1, 0) }

// CommitTransaction flushes the transaction's records and commits them
// together with the offsets sent to it.
func (kp *Producer) CommitTransaction(timeout time.Duration) error { return kp.txn(2, timeout) }

// AbortTransaction aborts the open transaction: its records (including
// ones not yet sent, which librdkafka purges with an error report) and its
// offsets are discarded.
func (kp *Producer) AbortTransaction(timeout time.Duration) error { return kp.txn(3, timeout) }

// SendOffsets adds input offsets (the next offset to read of each
// partition) to the open transaction, with the consumer's current group
// metadata (EOS v2, KIP-447): the group coordinator refuses them if the
// consumer has since lost its partitions, which fences zombies.
func (kp *Producer) SendOffsets(offs []Offset, c *Consumer, timeout time.Duration) error {
	if len(offs) == 0 {
		return nil
	}
	names := make([]string, len(offs))
	parts := make([]C.int32_t, len(offs))
	os := make([]C.int64_t, len(offs))
	for i, o := range offs {
		names[i], parts[i], os[i] = o.Topic, C.int32_t(o.Partition), C.int64_t(o.Offset)
	}
	topics, free := cStrings(names)
	defer free()
	var e C.sg_txn_err
	if C.sg_send_offsets(kp.b.c, c.b.c, topics, &parts[0], &os[0], C.int(len(offs)), C.int(timeout/time.Millisecond), &e) == 0 {
		return nil
	}
	return txnError("send offsets", &e)
}

// Rewind moves each partition's fetch position back to its committed
// offset (the beginning when the group has none), dropping records
// fetched past it: after an aborted transaction the consumer reads again
// what the transaction had consumed. It returns the offsets, in the order
// of tps (-2: the beginning).
func (kc *Consumer) Rewind(tps []TopicPartition, timeout time.Duration) ([]int64, error) {
	if len(tps) == 0 {
		return nil, nil
	}
	offs := make([]C.int64_t, len(tps))
	names := make([]string, len(tps))
	parts := make([]C.int32_t, len(tps))
	for i, tp := range tps {
		names[i], parts[i] = tp.Topic, C.int32_t(tp.Partition)
	}
	topics, free := cStrings(names)
	defer free()
	errstr := (*C.char)(C.malloc(512))
	defer C.free(unsafe.Pointer(errstr))
	if C.sg_rewind(kc.b.c, topics, &parts[0], &offs[0], C.int(len(tps)), C.int(timeout/time.Millisecond), errstr, 512) != 0 {
		return nil, errors.New("rewinding to committed offsets: " + C.GoString(errstr))
	}
	out := make([]int64, len(tps))
	for i, o := range offs {
		out[i] = int64(o)
	}
	return out, nil
}

// FatalError returns the producer's fatal error (librdkafka's
// rd_kafka_fatal_error, e.g. _FENCED) as a fatal *TxnError, or nil.
func (kp *Producer) FatalError() error {
	if err := kp.b.fatal(); err != nil {
		return &TxnError{Op: "produce", Msg: err.Error(), Fatal: true}
	}
	return nil
}
