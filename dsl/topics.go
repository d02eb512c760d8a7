package dsl

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// topicsIn records msgs and the messages nested in them, and reads the
// topic option of each.
func (b *builder) topicsIn(msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		b.messages[md.FullName()] = md
		b.topic(md)
		b.topicsIn(md.Messages())
	}
}

// topic reads the topic option of md, if any, into a Topic with its
// defaults filled in, and binds it to its name and message.
func (b *builder) topic(md protoreflect.MessageDescriptor) {
	opt, ok, err := TopicOf(md)
	where := "message " + string(md.Name())
	if err != nil {
		b.errorf(md, inTopic(), where, "%v", err)
		b.unbound[md.FullName()] = true
		return
	}
	if !ok {
		return
	}
	t := &Topic{
		Name:              opt.GetName(),
		Partitions:        opt.GetPartitions(),
		ReplicationFactor: opt.GetReplicationFactor(),
		Codec:             opt.GetCodec(),
		StrictJSON:        opt.GetStrictJson(),
		Message:           md,
		Config:            map[string]string{},
	}
	valid := true
	if why := ValidTopicName(t.Name); why != "" {
		b.errorf(md, inTopic(topicField.name), where+" > option topic.name",
			"topic name %q %s; set name to a valid Kafka topic name", t.Name, why)
		valid = false
	}
	b.topicSize(t, where)
	b.topicKey(t, where, opt.GetKey())
	b.topicCodec(t, where)
	b.topicConfig(t, where, opt)
	b.eventTime(t, where)
	if !valid {
		b.unbound[md.FullName()] = true
		return
	}
	if prev, dup := b.model.Topics[t.Name]; dup {
		b.errorf(md, inTopic(topicField.name), where+" > option topic.name",
			"topic %q is already bound to %s (%s); a topic holds one message type: rename one of the topics",
			t.Name, prev.Message.FullName(), prev.Message.ParentFile().Path())
		b.unbound[md.FullName()] = true
		return
	}
	b.model.Topics[t.Name] = t
	b.model.ByMessage[md.FullName()] = t
}

// topicSize checks the partition count and replication factor and fills in
// their defaults: 1 partition, the broker's replication factor (-1).
func (b *builder) topicSize(t *Topic, where string) {
	md := t.Message
	switch {
	case t.Partitions < 0:
		b.errorf(md, inTopic(topicField.partitions), where+" > option topic.partitions",
			"partitions is %d; use a positive count, or leave it out for 1", t.Partitions)
	case t.Partitions == 0:
		t.Partitions = 1
	}
	switch {
	case t.ReplicationFactor < 0:
		b.errorf(md, inTopic(topicField.replicationFactor), where+" > option topic.replication_factor",
			"replication_factor is %d; use a positive factor, or leave it out for the broker's default", t.ReplicationFactor)
	case t.ReplicationFactor == 0:
		t.ReplicationFactor = -1
	}
}

// topicKey resolves the key field named k, if any.
func (b *builder) topicKey(t *Topic, where, k string) {
	if k == "" {
		return
	}
	md := t.Message
	at, path := inTopic(topicField.key), where+" > option topic.key"
	fd := md.Fields().ByName(protoreflect.Name(k))
	if fd == nil || fd.IsList() || fd.IsMap() || !keyKind(fd.Kind()) {
		b.badKey[t] = true
	}
	switch {
	case fd == nil:
		b.errorf(md, at, path,
			"key field %q does not exist in %s; name one of its fields (%s)", k, md.FullName(), fieldNames(md))
	case fd.IsList() || fd.IsMap():
		b.errorf(md, at, path,
			"key field %q is repeated; a key must be a single string, bytes, integer or bool field", k)
	case !keyKind(fd.Kind()):
		b.errorf(md, at, path,
			"key field %q is of type %s; a key must be a string, bytes, integer or bool field", k, fd.Kind())
	default:
		t.Key = fd
	}
}

// topicCodec checks the codec, defaults it to CODEC_PROTO, resolves a
// CODEC_RAW message's single field, and checks that strict_json is only
// set on a CODEC_JSON topic.
func (b *builder) topicCodec(t *Topic, where string) {
	md := t.Message
	at, path := inTopic(topicField.codec), where+" > option topic.codec"
	switch t.Codec {
	case streamgenv1.Codec_CODEC_UNSPECIFIED:
		t.Codec = streamgenv1.Codec_CODEC_PROTO
	case streamgenv1.Codec_CODEC_PROTO, streamgenv1.Codec_CODEC_JSON:
	case streamgenv1.Codec_CODEC_RAW:
		fields := md.Fields()
		if fields.Len() != 1 || fields.Get(0).IsList() || fields.Get(0).IsMap() ||
			(fields.Get(0).Kind() != protoreflect.StringKind && fields.Get(0).Kind() != protoreflect.BytesKind) {
			b.errorf(md, at, path,
				"CODEC_RAW needs a message with exactly one field, of type string or bytes; %s has %s. Use CODEC_PROTO or CODEC_JSON, or reduce the message to one field",
				md.FullName(), fieldNames(md))
		} else {
			t.RawField = fields.Get(0)
		}
	default:
		b.errorf(md, at, path, "unknown codec %d; use CODEC_PROTO, CODEC_JSON or CODEC_RAW", t.Codec)
	}
	if t.StrictJSON && t.Codec != streamgenv1.Codec_CODEC_JSON {
		b.errorf(md, inTopic(topicField.strictJSON), where+" > option topic.strict_json",
			"strict_json is set but the topic's codec is %s; strict_json only applies to CODEC_JSON: remove it, or set codec: CODEC_JSON", t.Codec)
	}
}

// topicConfig copies the declared config, then the config that compacted
// and retention_ms stand for.
func (b *builder) topicConfig(t *Topic, where string, opt *streamgenv1.Topic) {
	md := t.Message
	at, path := inTopic(topicField.config), where+" > option topic.config"
	for _, k := range sortedKeys(opt.GetConfig()) {
		switch {
		case k == "":
			b.errorf(md, at, path, "config has an empty key; remove the entry")
		case k == "cleanup.policy" && opt.GetCompacted():
			b.errorf(md, at, path, "config sets cleanup.policy and compacted is true; keep only one")
		case k == "retention.ms" && opt.GetRetentionMs() != 0:
			b.errorf(md, at, path, "config sets retention.ms and retention_ms is set too; keep only one")
		}
		t.Config[k] = opt.GetConfig()[k]
	}
	if opt.GetCompacted() {
		t.Config["cleanup.policy"] = "compact"
	}
	switch r := opt.GetRetentionMs(); {
	case r < -1:
		b.errorf(md, inTopic(topicField.retentionMs), where+" > option topic.retention_ms",
			"retention_ms is %d; use a positive duration in milliseconds, -1 for forever, or leave it out", r)
	case r != 0:
		t.Config["retention.ms"] = fmt.Sprint(r)
	}
}

// eventTime resolves the message's event_time field, if any.
func (b *builder) eventTime(t *Topic, where string) {
	fields := t.Message.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		fo, has, err := FieldOf(fd)
		if err != nil || !has || !fo.GetEventTime() {
			continue
		}
		fwhere := where + " > field " + string(fd.Name())
		switch {
		case t.EventTime != nil:
			b.errorf(fd, onElement, fwhere, "a message has at most one event_time field; %s already is", t.EventTime.Name())
		case fd.IsList() || fd.IsMap():
			b.errorf(fd, onElement, fwhere, "event_time field %s is repeated; use a single google.protobuf.Timestamp or int64", fd.Name())
		case fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == "google.protobuf.Timestamp",
			fd.Kind() == protoreflect.Int64Kind:
			t.EventTime = fd
		default:
			b.errorf(fd, onElement, fwhere, "event_time field %s is of type %s; use google.protobuf.Timestamp or int64 (milliseconds since the epoch)", fd.Name(), fd.Kind())
		}
	}
}

// keyKind reports whether a field of kind k can be a record key.
func keyKind(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.BoolKind,
		protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return true
	}
	return false
}

// fieldNames lists md's fields as "kind name, ...", for error messages.
func fieldNames(md protoreflect.MessageDescriptor) string {
	fs := md.Fields()
	if fs.Len() == 0 {
		return "no fields"
	}
	names := make([]string, fs.Len())
	for i := range names {
		names[i] = fmt.Sprintf("%s %s", fs.Get(i).Kind(), fs.Get(i).Name())
	}
	return strings.Join(names, ", ")
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
