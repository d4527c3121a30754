//go:build goexperiment.jsonv2

package spec

// With the json/v2 engine a SyntaxError's Offset is the index of the
// offending byte; v1 counts the bytes consumed, one past it.
const syntaxOffsetPastByte = false
