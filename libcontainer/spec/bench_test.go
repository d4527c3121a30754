package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// benchBundle writes the example config (what `hutch spec` prints) into a
// bundle directory: the config every `create` decodes and validates.
func benchBundle(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	data, err := json.Marshal(Example())
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), data, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}

func BenchmarkLoad(b *testing.B) {
	dir := benchBundle(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadValidate(b *testing.B) {
	dir := benchBundle(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := Validate(s, dir); err != nil {
			b.Fatal(err)
		}
	}
}
