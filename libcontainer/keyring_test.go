package libcontainer

import "testing"

func TestParsePidMsg(t *testing.T) {
	pid, k, err := parsePidMsg([]byte("42 806731210"))
	if err != nil || pid != 42 || k != 806731210 {
		t.Fatalf("got %d %d %v", pid, k, err)
	}
	for _, bad := range []string{"", "42", "x 1", "0 1", "-3 1", "42 1 2", "42 99999999999"} {
		if _, _, err := parsePidMsg([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
