// Command protoc-gen-streamgen is streamgen's generator as a protoc or buf
// plugin. It writes the same files, byte for byte, as `streamgen` does for
// the same inputs; see the streamgen command's documentation for the
// buf.gen.yaml and the plugin parameters (paths, module, mock, pbgo).
package main

import (
	"os"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/cli"
)

func main() {
	os.Exit(cli.Plugin(os.Stdin, os.Stdout, os.Stderr))
}
