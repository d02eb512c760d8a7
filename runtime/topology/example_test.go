package topology_test

import (
	"os"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/topology"
)

// Build draws descriptors; an app binary passes topology.FromApp(app),
// the generator topology.FromModel(app).
func ExampleBuild() {
	in := &runtime.TopicDesc{Name: "lines", Partitions: 2, Codec: runtime.CodecRaw}
	out := &runtime.TopicDesc{Name: "upper", Partitions: 2, Codec: runtime.CodecRaw}
	app := &runtime.AppDesc{ID: "upper", Agents: []*runtime.AgentDesc{{
		Name: "Upper", Input: in, Outputs: []*runtime.TopicDesc{out}, Concurrency: 1,
		DeadLetter: &runtime.TopicDesc{Name: "upper-upper-dlq", Partitions: 2, Codec: runtime.CodecBytes},
	}}}
	g := topology.Build(app)
	_ = topology.Render(os.Stdout, g, topology.FormatDOT)
	// Output:
	// digraph topology {
	//   rankdir=LR;
	//   node [fontname="Helvetica", fontsize=11];
	//   edge [fontname="Helvetica", fontsize=9];
	//   "topic:lines" [label="lines\npartitions: 2\nkey: record key\ncodec: raw", shape=box, style="rounded,filled", fillcolor="#dbeafe", tooltip="topic"];
	//   "topic:upper" [label="upper\npartitions: 2\nkey: record key\ncodec: raw", shape=box, style="rounded,filled", fillcolor="#dbeafe", tooltip="topic"];
	//   subgraph "cluster_upper" {
	//     label="app upper (at least once)";
	//     style=rounded;
	//     "agent:upper/Upper" [label="Upper\nconcurrency: 1\nguarantee: at least once", shape=box, style="filled,bold", fillcolor="#fef3c7", tooltip="agent"];
	//     "topic:upper-upper-dlq" [label="upper-upper-dlq\npartitions: 2\ncodec: bytes", shape=box, style="rounded,filled,dashed", fillcolor="#fee2e2", tooltip="dead-letter topic"];
	//   }
	//   "agent:upper/Upper" -> "topic:upper";
	//   "agent:upper/Upper" -> "topic:upper-upper-dlq" [label="dead letters"];
	//   "topic:lines" -> "agent:upper/Upper";
	// }
}
