package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	want := "open " + filepath.Join(dir, ConfigFile) + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"syntax", "{\n  \"ociVersion\": \"1.0.0\",\n    }\n",
			[]string{"invalid JSON at line 3, column 5", "invalid character '}'"}},
		{"empty file", "", []string{"invalid JSON at line 1, column 1", "unexpected end of JSON input"}},
		{"truncated", "{\"ociVersion\": \"1.0.0\"", []string{"invalid JSON", "unexpected end"}},
		{"trailing garbage", "{} x", []string{"invalid JSON at line 1, column 4"}},
		{"args number", "{\n \"process\": {\n  \"args\": 5\n }\n}",
			[]string{"process.args: cannot unmarshal number into []string", "line 3"}},
		{"args element", `{"process": {"args": ["sh", 1]}}`,
			[]string{"process.args" + idx("[1]") + ": cannot unmarshal number into string"}},
		{"negative uid", `{"process": {"user": {"uid": -1}}}`,
			[]string{"process.user.uid: cannot unmarshal number -1 into uint32"}},
		{"process not object", `{"process": "sh"}`,
			[]string{"process: cannot unmarshal string into object"}},
		{"top level array", `[]`, []string{"cannot unmarshal array into object"}},
		{"mount destination", `{"mounts": [{"destination": 3}]}`,
			[]string{"mounts" + idx("[0]") + ".destination: cannot unmarshal number into string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, tt.json)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("expected an error")
			}
			prefix := filepath.Join(dir, ConfigFile) + ": "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadUnknownFieldsAllowed(t *testing.T) {
	dir := writeConfig(t, `{"ociVersion": "1.0.2", "x-vendor": {"a": 1}, "process": {"args": ["sh"], "cwd": "/", "future": true}}`)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "1.0.2" || s.Process == nil || s.Process.Args[0] != "sh" {
		t.Fatalf("unexpected result %+v", s)
	}
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncd\nef")
	tests := []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 1}, {2, 1, 2}, {4, 2, 1}, {8, 3, 2}, {100, 3, 3}}
	for _, tt := range tests {
		l, c := position(data, tt.off)
		if l != tt.line || c != tt.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

// idx is the array index part of a field path: json/v2 reports it,
// encoding/json v1 does not.
func idx(s string) string {
	if jsonV2 {
		return s
	}
	return ""
}
