package kafka

// #include <stdlib.h>
// #include "batch.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	// The C side calls librdkafka, and this package declares no library to
	// link: the symbols come from the static librdkafka that
	// confluent-kafka-go bundles and links into every binary importing it
	// (admin.go uses it too), so the binary holds one copy of the library.
	_ "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// errLen is the size of the error strings C fills in.
const errLen = 512

// limitArenas caps glibc's malloc arenas at two before the first client
// starts librdkafka's threads, unless MALLOC_ARENA_MAX is set: otherwise
// each of librdkafka's threads gets an arena of its own, and the arenas'
// free space stays resident. Measured (BENCHMARKS.md): a worker counting
// 1,000,000 keys peaked ~10 MiB lower, at the same rate.
var limitArenas = sync.OnceFunc(func() {
	if os.Getenv("MALLOC_ARENA_MAX") == "" {
		C.sg_limit_arenas(2)
	}
})

// checkVersion refuses a linked librdkafka whose major version is not 2:
// rdk.h declares librdkafka 2.x's ABI (rd_kafka_version returns
// 0xMMmmrrxx).
func checkVersion() error {
	v := int(C.rd_kafka_version())
	if v>>24 != 2 {
		return fmt.Errorf("streamgen kafka: linked librdkafka is version %d.%d.%d; streamgen's batched client needs 2.x",
			v>>24, (v>>16)&0xff, (v>>8)&0xff)
	}
	return nil
}

// clients maps the id a C client carries to its Go side, for callbacks:
// C memory holds no Go pointers.
var (
	clients  sync.Map // uint64 → *base
	clientID atomic.Uint64
)

// base is the Go side of one C client (sg_client), consumer or producer.
type base struct {
	c      *C.sg_client
	id     uint64
	logger *slog.Logger
	// rebal receives a consumer's rebalance callbacks (librdkafka's
	// rebalance_cb: err is _ASSIGN_PARTITIONS, _REVOKE_PARTITIONS or an
	// error); it must apply the change (sg_rebalance_apply).
	rebal func(err int, parts *C.rd_kafka_topic_partition_list_t)
}

// newBase creates a C client of type typ (SG_RD_KAFKA_CONSUMER or
// SG_RD_KAFKA_PRODUCER) with the librdkafka properties props, applied in
// sorted order. batch is the most records one sg_consume returns
// (consumers only). The error is librdkafka's (an unknown property, a bad
// value) or the version check's.
func newBase(typ C.int, props map[string]string, batch int, logger *slog.Logger) (*base, error) {
	if err := checkVersion(); err != nil {
		return nil, err
	}
	limitArenas() // before librdkafka starts its threads
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = props[k]
	}
	ck, freeKeys := cStrings(keys)
	defer freeKeys()
	cv, freeVals := cStrings(vals)
	defer freeVals()
	b := &base{id: clientID.Add(1), logger: logger}
	clients.Store(b.id, b)
	errstr := (*C.char)(C.malloc(errLen))
	defer C.free(unsafe.Pointer(errstr))
	b.c = C.sg_new(typ, C.uint64_t(b.id), ck, cv, C.int(len(keys)), C.size_t(batch), errstr, errLen)
	if b.c == nil {
		clients.Delete(b.id)
		return nil, errors.New(C.GoString(errstr))
	}
	return b, nil
}

// close destroys the C client (a consumer leaves its group first, which
// calls back into Go) and then forgets it.
func (b *base) close() {
	C.sg_close(b.c)
	clients.Delete(b.id)
}

// ErrFatal is wrapped by the errors of a client that librdkafka declared
// fatal (rd_kafka_fatal_error: "the client instance is no longer usable"):
// the caller must replace the client. Example: a static group member
// fenced (FENCED_INSTANCE_ID) after a broker outage longer than its
// session timeout; an idempotent producer whose sequence broke.
var ErrFatal = errors.New("fatal client error (librdkafka): the client must be replaced")

// fatal returns the client's fatal error (rd_kafka_fatal_error), wrapping
// ErrFatal, or nil.
func (b *base) fatal() error {
	errstr := (*C.char)(C.malloc(errLen))
	defer C.free(unsafe.Pointer(errstr))
	if C.sg_fatal(b.c, errstr, errLen) != 0 {
		return fmt.Errorf("%w: %s", ErrFatal, C.GoString(errstr))
	}
	return nil
}

// errString is librdkafka's description of an error code.
func errString(code C.int) string { return C.GoString(C.rd_kafka_err2str(C.rd_kafka_resp_err_t(code))) }

//export sgGoLog
func sgGoLog(id C.uint64_t, level C.int, fac, buf *C.char) {
	v, ok := clients.Load(uint64(id))
	if !ok {
		return
	}
	b := v.(*base)
	lvl := logLevel(int(level))
	if !b.logger.Enabled(context.Background(), lvl) {
		return
	}
	b.logger.Log(context.Background(), lvl, C.GoString(buf), "component", "librdkafka", "facility", C.GoString(fac))
}

//export sgGoRebalance
func sgGoRebalance(id C.uint64_t, err C.int, parts *C.rd_kafka_topic_partition_list_t) {
	v, ok := clients.Load(uint64(id))
	if !ok {
		return
	}
	v.(*base).rebal(int(err), parts)
}

// cStrings copies ss into a C array of C strings; free releases it all.
func cStrings(ss []string) (arr **C.char, free func()) {
	n := max(len(ss), 1)
	arr = (**C.char)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	cs := unsafe.Slice(arr, len(ss))
	for i, s := range ss {
		cs[i] = C.CString(s)
	}
	return arr, func() {
		for _, c := range cs {
			C.free(unsafe.Pointer(c))
		}
		C.free(unsafe.Pointer(arr))
	}
}

// cParts is a list of partitions as the sg_* list functions take it:
// entry i is (topics[i], parts[i], offs[i]). free releases the topic names.
// Callers pass &parts[0] and &offs[0], so the list must not be empty.
type cParts struct {
	topics **C.char
	parts  []C.int32_t
	offs   []C.int64_t
	metas  **C.char // offsetArrays' metadata; nil when no offset has any
	free   func()
}

// partitionArrays returns tps as C arrays, with offs zeroed (for C to fill
// in, or to ignore).
func partitionArrays(tps []TopicPartition) cParts {
	names := make([]string, len(tps))
	a := cParts{parts: make([]C.int32_t, len(tps)), offs: make([]C.int64_t, len(tps))}
	for i, tp := range tps {
		names[i], a.parts[i] = tp.Topic, C.int32_t(tp.Partition)
	}
	a.topics, a.free = cStrings(names)
	return a
}

// offsetArrays returns offs as C arrays, with their metadata.
func offsetArrays(offs []Offset) cParts {
	names, metas := make([]string, len(offs)), make([]string, len(offs))
	withMeta := false
	a := cParts{parts: make([]C.int32_t, len(offs)), offs: make([]C.int64_t, len(offs))}
	for i, o := range offs {
		names[i], a.parts[i], a.offs[i] = o.Topic, C.int32_t(o.Partition), C.int64_t(o.Offset)
		metas[i] = o.Metadata
		withMeta = withMeta || o.Metadata != ""
	}
	var freeTopics func()
	a.topics, freeTopics = cStrings(names)
	a.free = freeTopics
	if withMeta {
		var freeMetas func()
		a.metas, freeMetas = cStrings(metas)
		a.free = func() { freeTopics(); freeMetas() }
	}
	return a
}

// listParts copies a librdkafka partition list into Go.
func listParts(l *C.rd_kafka_topic_partition_list_t) []TopicPartition {
	elems := unsafe.Slice(l.elems, int(l.cnt))
	out := make([]TopicPartition, len(elems))
	for i, e := range elems {
		out[i] = TopicPartition{Topic: C.GoString(e.topic), Partition: int32(e.partition)}
	}
	return out
}

// tokenTable hands out small integer ids for a producer's tokens, so C
// memory (librdkafka's per-message opaque) never holds Go pointers. Id 0
// stands for a nil token. Callers hold mu.
type tokenTable struct {
	mu    sync.Mutex
	slots []any
	free  []uint64
}

// putLocked stores v and returns its id (0 for nil).
func (t *tokenTable) putLocked(v any) uint64 {
	if v == nil {
		return 0
	}
	if n := len(t.free); n > 0 {
		id := t.free[n-1]
		t.free = t.free[:n-1]
		t.slots[id-1] = v
		return id
	}
	t.slots = append(t.slots, v)
	return uint64(len(t.slots))
}

// takeLocked removes and returns the token of id (nil for 0 or an unknown
// id).
func (t *tokenTable) takeLocked(id uint64) any {
	if id == 0 || id > uint64(len(t.slots)) {
		return nil
	}
	v := t.slots[id-1]
	t.slots[id-1] = nil
	t.free = append(t.free, id)
	return v
}
