package generate

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/compiler/protogen"
)

// Generated comment lines are at most commentWidth columns wide, indentation
// included, a tab counting as tabWidth columns. Only a single word longer
// than the line (a long import path) can exceed it.
const (
	commentWidth = 100
	tabWidth     = 4
)

// comment writes parts, printed as GeneratedFile.P prints them, as one
// paragraph of "// " lines wrapped at word boundaries, for a declaration
// indented depth tabs. Separate paragraphs with g.P("//").
func comment(g *protogen.GeneratedFile, depth int, parts ...any) {
	var text strings.Builder
	for _, p := range parts {
		if id, ok := p.(protogen.GoIdent); ok {
			text.WriteString(g.QualifiedGoIdent(id))
			continue
		}
		fmt.Fprint(&text, p)
	}
	for _, line := range wrap(text.String(), textWidth(depth, "// ")) {
		g.P("// ", line)
	}
}

// leadingComment writes the comment a .proto file gives a declaration, or,
// when it has none, the paragraph fallback.
func leadingComment(g *protogen.GeneratedFile, depth int, c protogen.Comments, fallback ...any) {
	if !hasText(c) {
		comment(g, depth, fallback...)
		return
	}
	protoComment(g, depth, c)
}

// hasText reports whether a .proto file gave a declaration a comment.
func hasText(c protogen.Comments) bool { return strings.TrimSpace(string(c)) != "" }

// protoComment writes a comment from a .proto file. Lines keep their breaks,
// so paragraphs and lists stay as written, except in a paragraph with a line
// too long: that paragraph is wrapped again at word boundaries. Indented
// lines (code blocks) and blank lines are kept as they are.
func protoComment(g *protogen.GeneratedFile, depth int, c protogen.Comments) {
	width := textWidth(depth, "//")
	for _, block := range proseBlocks(strings.Split(strings.TrimRight(string(c), "\n"), "\n")) {
		for _, line := range rewrapBlock(block, width) {
			g.P("//", line)
		}
	}
}

// proseBlocks groups the lines of a proto comment (the text after each
// "//"): a run of prose lines makes one block, until a blank line, an
// indented line or a list item; every other line is a block of its own.
func proseBlocks(lines []string) [][]string {
	var blocks [][]string
	joinable := false // the last block is prose that the next line may continue
	for _, line := range lines {
		isProse := prose(line)
		if isProse && joinable && !listItem(line) {
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], line)
			continue
		}
		blocks = append(blocks, []string{line})
		joinable = isProse
	}
	return blocks
}

// prose reports whether a proto comment line is text to wrap: not blank,
// and indented by at most the one space after "//".
func prose(line string) bool {
	text := strings.TrimLeft(line, " ")
	return text != "" && len(line)-len(text) <= 1 && !strings.HasPrefix(text, "\t")
}

// listItem reports whether a proto comment line starts a list item, such
// as "- x", "* x" or "1. x".
func listItem(line string) bool {
	text := strings.TrimLeft(line, " ")
	if strings.HasPrefix(text, "- ") || strings.HasPrefix(text, "* ") || strings.HasPrefix(text, "+ ") {
		return true
	}
	digits := strings.TrimLeft(text, "0123456789")
	return len(digits) < len(text) && (strings.HasPrefix(digits, ". ") || strings.HasPrefix(digits, ") "))
}

// rewrapBlock returns a block's lines unchanged if they all fit in width,
// else the block's prose wrapped to width, behind its first line's
// indentation.
func rewrapBlock(block []string, width int) []string {
	fits := true
	for _, line := range block {
		fits = fits && utf8.RuneCountInString(line) <= width
	}
	if fits || !prose(block[0]) {
		return block
	}
	indent := block[0][:len(block[0])-len(strings.TrimLeft(block[0], " "))]
	lines := wrap(strings.Join(block, " "), width-len(indent))
	for i := range lines {
		lines[i] = indent + lines[i]
	}
	return lines
}

// textWidth is the room left for comment text on a line indented depth
// tabs that starts with marker.
func textWidth(depth int, marker string) int {
	return commentWidth - depth*tabWidth - len(marker)
}

// wrap splits text into lines of at most width runes, breaking at spaces.
// A word longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	var line strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		w := utf8.RuneCountInString(word)
		if n > 0 && n+1+w > width {
			lines = append(lines, line.String())
			line.Reset()
			n = 0
		}
		if n > 0 {
			line.WriteByte(' ')
			n++
		}
		line.WriteString(word)
		n += w
	}
	if n > 0 {
		lines = append(lines, line.String())
	}
	return lines
}
