// Package streamgenv1 holds the Go types of the streamgen DSL's options,
// generated from proto/streamgen/v1/streamgen.proto. Read them through the
// typed resolvers in package dsl, which also accept options that arrive as
// dynamicpb messages or unknown fields.
package streamgenv1
