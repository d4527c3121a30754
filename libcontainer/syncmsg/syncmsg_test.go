package syncmsg

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	Send(&b, ProcessPlan, []byte(`{"id":"x"}`))
	Send(&b, Ready, nil)
	if p, err := Expect(&b, ProcessPlan); err != nil || string(p) != `{"id":"x"}` {
		t.Fatalf("Expect(ProcessPlan) = %q, %v", p, err)
	}
	if p, err := Expect(&b, Ready); err != nil || len(p) != 0 {
		t.Fatalf("Expect(Ready) = %q, %v", p, err)
	}
	if _, err := Expect(&b, Ready); err == nil {
		t.Fatal("want EOF on an empty stream")
	}
}

func TestRemoteErrorAndWrongType(t *testing.T) {
	var b bytes.Buffer
	Send(&b, Error, []byte("mount proc: permission denied"))
	_, err := Expect(&b, Ready)
	if _, ok := err.(RemoteError); !ok || err.Error() != "mount proc: permission denied" {
		t.Fatalf("got %T %v", err, err)
	}
	Send(&b, Pid, []byte("1"))
	if _, err := Expect(&b, Ready); err == nil || !strings.Contains(err.Error(), "want") {
		t.Fatalf("wrong type: %v", err)
	}
}

func TestOversizedFrameRejected(t *testing.T) {
	b := bytes.NewBuffer([]byte{0xff, 0xff, 0xff, 0xff, 'C'})
	if _, _, err := Recv(b); err == nil {
		t.Fatal("want error for a 4 GiB frame")
	}
}
