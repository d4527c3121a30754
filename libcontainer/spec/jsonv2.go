//go:build goexperiment.jsonv2

package spec

// encoding/json runs on the json/v2 engine (make build sets
// GOEXPERIMENT=jsonv2): a SyntaxError's Offset is the index of the
// offending byte, and type errors name array indexes in their paths.
const jsonV2 = true
