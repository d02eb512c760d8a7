package compile

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The registry must know streamgen's options to suggest their fields.
	_ "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// The compiler's messages whose cause is known, and what to do about each.
// A message matching none keeps its text, without a hint.
var (
	unknownOptionFieldRE = regexp.MustCompile(`option \(([\w.]+)\): field (\w+) not found$`)
	unknownEnumValueRE   = regexp.MustCompile(`enum ([\w.]+) has no value named (\w+)$`)
	unknownExtensionRE   = regexp.MustCompile(`unknown extension \.?([\w.]+)$`)
	unknownTypeRE        = regexp.MustCompile(`unknown (?:request |response )?type \.?([\w.]+)$`)
)

// streamgenProto is the import path of the DSL's own .proto file.
const streamgenProto = "streamgen/v1/streamgen.proto"

// wellKnownTypes maps the well-known types a schema may use to the file
// that declares them.
var wellKnownTypes = map[string]string{
	"google.protobuf.Any":         "google/protobuf/any.proto",
	"google.protobuf.Duration":    "google/protobuf/duration.proto",
	"google.protobuf.Empty":       "google/protobuf/empty.proto",
	"google.protobuf.FieldMask":   "google/protobuf/field_mask.proto",
	"google.protobuf.Struct":      "google/protobuf/struct.proto",
	"google.protobuf.Value":       "google/protobuf/struct.proto",
	"google.protobuf.ListValue":   "google/protobuf/struct.proto",
	"google.protobuf.Timestamp":   "google/protobuf/timestamp.proto",
	"google.protobuf.DoubleValue": "google/protobuf/wrappers.proto",
	"google.protobuf.FloatValue":  "google/protobuf/wrappers.proto",
	"google.protobuf.Int64Value":  "google/protobuf/wrappers.proto",
	"google.protobuf.UInt64Value": "google/protobuf/wrappers.proto",
	"google.protobuf.Int32Value":  "google/protobuf/wrappers.proto",
	"google.protobuf.UInt32Value": "google/protobuf/wrappers.proto",
	"google.protobuf.BoolValue":   "google/protobuf/wrappers.proto",
	"google.protobuf.StringValue": "google/protobuf/wrappers.proto",
	"google.protobuf.BytesValue":  "google/protobuf/wrappers.proto",
}

// withHint returns err with what to do appended to its message, when the
// cause of the message is known; else err itself. The position is kept.
func withHint(err reporter.ErrorWithPos) reporter.ErrorWithPos {
	msg := err.Unwrap().Error()
	h := hint(msg)
	if h == "" {
		return err
	}
	return reporter.Error(err, errors.New(msg+"; "+h))
}

// hint says what to do about a compiler message, or "" when its cause is
// not known.
func hint(msg string) string {
	if m := unknownOptionFieldRE.FindStringSubmatch(msg); m != nil {
		return optionFieldHint(protoreflect.FullName(m[1]), m[2])
	}
	if m := unknownEnumValueRE.FindStringSubmatch(msg); m != nil {
		return enumValueHint(protoreflect.FullName(m[1]), m[2])
	}
	if m := unknownExtensionRE.FindStringSubmatch(msg); m != nil {
		return extensionHint(m[1])
	}
	if m := unknownTypeRE.FindStringSubmatch(msg); m != nil {
		return typeHint(m[1])
	}
	if strings.HasPrefix(msg, "syntax error: ") {
		return syntaxHint(strings.TrimPrefix(msg, "syntax error: "))
	}
	return ""
}

// optionFieldHint suggests the field of option ext, or of the messages
// nested in it, closest to the unknown field name.
func optionFieldHint(ext protoreflect.FullName, name string) string {
	xt, err := protoregistry.GlobalTypes.FindExtensionByName(ext)
	if err != nil || xt.TypeDescriptor().Message() == nil {
		return ""
	}
	var names []string
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			names = append(names, string(fd.Name()))
			if fd.Message() != nil && !fd.IsMap() {
				walk(fd.Message())
			}
		}
	}
	walk(xt.TypeDescriptor().Message())
	if best := closest(name, names); best != "" {
		return fmt.Sprintf("did you mean %s?", best)
	}
	return ""
}

// enumValueHint suggests the value of enum closest to name: the one it is
// the suffix of (JSON for CODEC_JSON), else one a small edit away.
func enumValueHint(enum protoreflect.FullName, name string) string {
	et, err := protoregistry.GlobalTypes.FindEnumByName(enum)
	if err != nil {
		return ""
	}
	values := et.Descriptor().Values()
	names := make([]string, values.Len())
	for i := range names {
		names[i] = string(values.Get(i).Name())
		if strings.HasSuffix(names[i], "_"+strings.ToUpper(name)) {
			return fmt.Sprintf("did you mean %s?", names[i])
		}
	}
	if best := closest(strings.ToUpper(name), names); best != "" {
		return fmt.Sprintf("did you mean %s?", best)
	}
	return fmt.Sprintf("use one of %s", strings.Join(names[1:], ", "))
}

// extensionHint says how to name one of streamgen's options, or where it
// is declared.
func extensionHint(name string) string {
	short := strings.TrimPrefix(name, "streamgen.v1.")
	var options []string
	for _, o := range []string{"agent", "app", "field", "topic"} {
		if short == o {
			if short == name {
				return fmt.Sprintf("write (streamgen.v1.%s); the file must import %q", o, streamgenProto)
			}
			return fmt.Sprintf("import %q, which declares it", streamgenProto)
		}
		options = append(options, "streamgen.v1."+o)
	}
	if best := closest(name, options); best != "" {
		return fmt.Sprintf("did you mean (%s)?", best)
	}
	return ""
}

// typeHint says which file declares a well-known type, or which
// well-known type a misspelled name is.
func typeHint(name string) string {
	full := name
	if !strings.Contains(name, ".") {
		full = "google.protobuf." + name
	}
	if file, ok := wellKnownTypes[full]; ok {
		if full != name {
			return fmt.Sprintf("write %s; the file must import %q", full, file)
		}
		return fmt.Sprintf("import %q, which declares it", file)
	}
	if strings.HasPrefix(name, "google.protobuf.") {
		names := make([]string, 0, len(wellKnownTypes))
		for n := range wellKnownTypes {
			names = append(names, n)
		}
		sort.Strings(names)
		if best := closest(name, names); best != "" {
			return fmt.Sprintf("did you mean %s (import %q)?", best, wellKnownTypes[best])
		}
	}
	return ""
}

// syntaxHint says what to do about a syntax error whose cause is known.
func syntaxHint(msg string) string {
	switch {
	case msg == "unexpected $end":
		return "the file ends inside a { } block: add the missing '}'"
	case strings.HasSuffix(msg, "expecting ';'") || strings.HasSuffix(msg, "or ';'"):
		return "the statement before this point needs a ';' at its end"
	case strings.HasPrefix(msg, "unexpected '=', expecting ':'"):
		return `inside an option's { }, a field is set with ':', e.g. { name: "orders" partitions: 4 }`
	case msg == "unexpected '{', expecting '='":
		return `an option is set with '=', e.g. option (streamgen.v1.topic) = { name: "orders" };`
	}
	return ""
}

// closest returns the candidate a small edit away from name (at most two
// single-letter insertions, deletions, substitutions or swaps of
// neighbours, and fewer than half its letters), the first in order among
// the nearest; "" when none is, or when name is itself a candidate.
func closest(name string, candidates []string) string {
	best, bestDist := "", 3
	if limit := (len(name) + 1) / 2; limit < bestDist {
		bestDist = limit
	}
	for _, c := range candidates {
		d := editDistance(name, c)
		if d == 0 {
			return ""
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the single-byte insertions, deletions, substitutions and swaps of
// neighbouring bytes that turn a into b.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
