//go:build !goexperiment.jsonv2

package spec

// encoding/json v1: a SyntaxError's Offset counts the bytes consumed, one
// past the offending byte; type errors have no array indexes in paths.
const jsonV2 = false
