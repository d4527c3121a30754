package state

import (
	"strings"
	"testing"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		id, want string
	}{
		{"abc", ""},
		{"A-Z_0.9+x", ""},
		{"...", ""},
		{strings.Repeat("a", 1024), ""},
		{"", "must not be empty"},
		{strings.Repeat("a", 1025), "longer than 1024"},
		{".", `invalid container ID format: "."`},
		{"..", `invalid container ID format: ".."`},
		{"a/b", `invalid container ID format: "a/b": only [a-zA-Z0-9_+.-] are allowed`},
		{"a b", "only [a-zA-Z0-9_+.-]"},
		{"a\x00b", "only [a-zA-Z0-9_+.-]"},
		{"é", "only [a-zA-Z0-9_+.-]"},
	}
	for _, tt := range tests {
		err := ValidateID(tt.id)
		if tt.want == "" {
			if err != nil {
				t.Errorf("ValidateID(%q) = %v, want nil", tt.id, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateID(%q) = %v, want error containing %q", tt.id, err, tt.want)
		}
	}
}
