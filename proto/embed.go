// Package streamgenproto embeds the DSL's own .proto files, so the streamgen
// generator can compile schemas that import "streamgen/v1/streamgen.proto"
// without users copying the file into their repositories.
package streamgenproto

import "embed"

// Files holds streamgen/v1/streamgen.proto, at that path.
//
//go:embed streamgen/v1/*.proto
var Files embed.FS
