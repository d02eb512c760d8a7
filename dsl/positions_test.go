package dsl

import "testing"

// TestOptionFieldNumbers checks that each field number read from the
// descriptors is the one descriptor.proto and streamgen.proto declare for
// the field it is named after, so errors keep pointing at the right option.
func TestOptionFieldNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int32
	}{
		{"DescriptorProto.options", messageOptionsField, 7},
		{"ServiceDescriptorProto.options", serviceOptionsField, 3},
		{"MethodDescriptorProto.options", methodOptionsField, 4},
		{"(streamgen.v1.topic)", topicExtension, 51750},
		{"(streamgen.v1.app)", appExtension, 51750},
		{"(streamgen.v1.agent)", agentExtension, 51750},
		{"Topic.name", topicField.name, 1},
		{"Topic.partitions", topicField.partitions, 2},
		{"Topic.replication_factor", topicField.replicationFactor, 3},
		{"Topic.key", topicField.key, 4},
		{"Topic.codec", topicField.codec, 5},
		{"Topic.retention_ms", topicField.retentionMs, 7},
		{"Topic.config", topicField.config, 8},
		{"Topic.strict_json", topicField.strictJSON, 9},
		{"App.id", appField.id, 1},
		{"App.tables", appField.tables, 2},
		{"App.commit_interval", appField.commitInterval, 4},
		{"Table.name", tableField.name, 1},
		{"Table.value", tableField.value, 2},
		{"Table.key", tableField.key, 3},
		{"Table.default_json", tableField.defaultJSON, 4},
		{"Table.global", tableField.global, 5},
		{"Table.window", tableField.window, 6},
		{"Agent.outputs", agentField.outputs, 1},
		{"Agent.concurrency", agentField.concurrency, 2},
		{"Agent.on_error", agentField.onError, 3},
		{"Agent.dead_letter_topic", agentField.deadLetterTopic, 4},
		{"Agent.tables", agentField.tables, 5},
		{"Agent.on_window_close", agentField.onWindowClose, 6},
		{"Agent.max_event_time_ahead", agentField.maxEventTimeAhead, 7},
		{"Agent.on_future_event", agentField.onFutureEvent, 8},
		{"Agent.on_misplaced_key", agentField.onMisplacedKey, 9},
		{"Agent.repartition_topic", agentField.repartitionTopic, 10},
	} {
		if c.got != c.want {
			t.Errorf("%s is field %d, want %d", c.name, c.got, c.want)
		}
	}
}
