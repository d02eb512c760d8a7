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
// rd_kafka_error_txn_requires_abort). librdkafka's rules (rdkafka.h,
// "Transactional producer API"), which the worker follows:
//   - Retriable: the same call may be repeated (e.g. a commit that timed
//     out; the transaction is still open and may still commit).
//   - RequiresAbort: the transaction cannot commit; call AbortTransaction,
//     rewind the consumer to its committed offsets and process again.
//   - Fatal: the producer is unusable (e.g. fenced by a newer producer with
//     the same transactional.id, _FENCED); it must be closed and replaced.
type TxnError struct {
	// Op is the call that failed: "init", "begin", "send offsets",
	// "commit", "abort", or "produce" (from FatalError).
	Op string
	// Code is librdkafka's error code (rd_kafka_resp_err_t); 0 from
	// FatalError, -1 when SendOffsets' consumer had no group metadata.
	Code int
	// Msg is librdkafka's description.
	Msg string
	// Fatal, Retriable and RequiresAbort classify the error.
	Fatal, Retriable, RequiresAbort bool
}

// Error describes the failed call and its class: "<op> transaction:
// <msg>", then " (fatal)", " (transaction must be aborted)" or
// " (retriable)".
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

// txnOp names a call of librdkafka's transactional API that sg_txn makes;
// its values are batch.h's sg_txn_op.
type txnOp C.sg_txn_op

const (
	txnInit   txnOp = C.SG_TXN_INIT   // rd_kafka_init_transactions
	txnBegin  txnOp = C.SG_TXN_BEGIN  // rd_kafka_begin_transaction
	txnCommit txnOp = C.SG_TXN_COMMIT // rd_kafka_commit_transaction
	txnAbort  txnOp = C.SG_TXN_ABORT  // rd_kafka_abort_transaction
)

// String is the operation's name in TxnError.Op.
func (op txnOp) String() string {
	switch op {
	case txnInit:
		return "init"
	case txnBegin:
		return "begin"
	case txnCommit:
		return "commit"
	case txnAbort:
		return "abort"
	}
	return fmt.Sprintf("txnOp(%d)", int(op))
}

// txn makes the call op with a timeout (millisecond resolution; begin
// takes none).
func (kp *Producer) txn(op txnOp, timeout time.Duration) error {
	var e C.sg_txn_err
	if C.sg_txn(kp.b.c, C.sg_txn_op(op), C.int(timeout/time.Millisecond), &e) == 0 {
		return nil
	}
	return txnError(op.String(), &e)
}

// txnError converts C's description of a failed call.
func txnError(op string, e *C.sg_txn_err) *TxnError {
	return &TxnError{Op: op, Code: int(e.code), Msg: C.GoString(&e.msg[0]),
		Fatal: e.fatal != 0, Retriable: e.retriable != 0, RequiresAbort: e.abortable != 0}
}

// InitTransactions registers the transactional id with its coordinator,
// fencing any older producer with the same id and aborting the
// transaction it left open. Call it once, before BeginTransaction. The
// error is a *TxnError.
func (kp *Producer) InitTransactions(timeout time.Duration) error { return kp.txn(txnInit, timeout) }

// BeginTransaction starts a transaction; records produced until it is
// committed or aborted belong to it. The error is a *TxnError.
func (kp *Producer) BeginTransaction() error { return kp.txn(txnBegin, 0) }

// CommitTransaction flushes the transaction's records and commits them
// together with the offsets sent to it, waiting up to timeout. The error
// is a *TxnError.
func (kp *Producer) CommitTransaction(timeout time.Duration) error { return kp.txn(txnCommit, timeout) }

// AbortTransaction aborts the open transaction: its records (including
// ones not yet sent, which librdkafka purges with an error report) and its
// offsets are discarded. The error is a *TxnError.
func (kp *Producer) AbortTransaction(timeout time.Duration) error { return kp.txn(txnAbort, timeout) }

// SendOffsets adds input offsets (the next offset to read of each
// partition) to the open transaction, with the consumer's current group
// metadata (EOS v2, KIP-447): the group coordinator refuses them if the
// consumer has since lost its partitions, which fences zombies. The error
// is a *TxnError with Op "send offsets"; a consumer without group metadata
// gives one that requires an abort.
func (kp *Producer) SendOffsets(offs []Offset, c *Consumer, timeout time.Duration) error {
	if len(offs) == 0 {
		return nil
	}
	a := offsetArrays(offs)
	defer a.free()
	var e C.sg_txn_err
	if C.sg_send_offsets(kp.b.c, c.b.c, a.topics, &a.parts[0], &a.offs[0], a.metas, C.int(len(offs)), C.int(timeout/time.Millisecond), &e) == 0 {
		return nil
	}
	return txnError("send offsets", &e)
}

// Rewind moves each partition's fetch position back to its committed
// offset (the beginning when the group has none), dropping records
// fetched past it: after an aborted transaction the consumer reads again
// what the transaction had consumed. It returns the offsets, in the order
// of tps (-2: the beginning). timeout bounds each of the two calls,
// rd_kafka_committed and rd_kafka_seek_partitions; the error is theirs.
func (kc *Consumer) Rewind(tps []TopicPartition, timeout time.Duration) ([]int64, error) {
	if len(tps) == 0 {
		return nil, nil
	}
	a := partitionArrays(tps)
	defer a.free()
	errstr := (*C.char)(C.malloc(errLen))
	defer C.free(unsafe.Pointer(errstr))
	if C.sg_rewind(kc.b.c, a.topics, &a.parts[0], &a.offs[0], C.int(len(tps)), C.int(timeout/time.Millisecond), errstr, errLen) != 0 {
		return nil, errors.New("rewinding to committed offsets: " + C.GoString(errstr))
	}
	out := make([]int64, len(tps))
	for i, o := range a.offs {
		out[i] = int64(o)
	}
	return out, nil
}

// ErrSeekLater is Seek's error for a partition librdkafka cannot seek
// yet: its fetching has not started (_STATE: librdkafka still resolves
// the partition's start offset), it is still stopping (_PREV_IN_PROGRESS),
// or the seek crossed librdkafka's own start of it (_OUTDATED). Try again
// after a poll.
var ErrSeekLater = errors.New("kafka: the partition cannot be sought yet")

// Seek moves each partition's fetch position to its offset (an offset, or
// OffsetBeginning), dropping records fetched before
// (rd_kafka_seek_partitions; librdkafka discards them by the seek's op
// version). A partition librdkafka cannot seek yet fails with
// ErrSeekLater; other errors are librdkafka's.
//
// The worker seeks every partition it assigned paused once it is ready:
// librdkafka's own start of a partition paused right after its
// assignment can be lost (librdkafka issue #2190: the pause's op version
// outdates the assignment's fetch start; "the workaround is to seek()
// after resuming"), and a partition then started from another offset: the
// crash harness saw one start at its end, skipping 880 records.
func (kc *Consumer) Seek(offs []Offset, timeout time.Duration) error {
	if len(offs) == 0 {
		return nil
	}
	a := offsetArrays(offs)
	defer a.free()
	errstr := (*C.char)(C.malloc(errLen))
	defer C.free(unsafe.Pointer(errstr))
	code := C.sg_seek(kc.b.c, a.topics, &a.parts[0], &a.offs[0], C.int(len(offs)), C.int(timeout/time.Millisecond), errstr, errLen)
	switch {
	case code == 0:
		return nil
	case code == C.SG_ERR_STATE, code == C.SG_ERR_PREV_IN_PROGRESS, code == C.SG_ERR_OUTDATED:
		return ErrSeekLater
	}
	return fmt.Errorf("seeking %v: %s", offs, C.GoString(errstr))
}

// OffsetBeginning is the logical offset of a partition's first record
// (librdkafka's RD_KAFKA_OFFSET_BEGINNING), for Seek.
const OffsetBeginning = -2

// FatalError returns the producer's fatal error (librdkafka's
// rd_kafka_fatal_error, e.g. _FENCED) as a fatal *TxnError with Op
// "produce", or nil.
func (kp *Producer) FatalError() error {
	if err := kp.b.fatal(); err != nil {
		return &TxnError{Op: "produce", Msg: err.Error(), Fatal: true}
	}
	return nil
}
