package libcontainer

import (
	"fmt"
	"strconv"
	"strings"
)

// keyringName is the session keyring of a container's processes,
// "_ses.<id>" as runc names it, so that no container shares the keys of
// the engine that started it (plan.Bootstrap.Keyring). An exec passes the
// init's serial with it: it joins the init's keyring, or a new one if that
// name is not the init's.
func keyringName(id string) string { return "_ses." + id }

// parsePidMsg reads the constructor's pid message: "PID SERIAL", where
// SERIAL is the session keyring it joined (0 for none).
func parsePidMsg(payload []byte) (pid int, keyring int32, err error) {
	f := strings.Fields(string(payload))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("bad init pid message %q", payload)
	}
	pid, err = strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return 0, 0, fmt.Errorf("bad init pid %q", payload)
	}
	k, err := strconv.ParseInt(f[1], 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("bad session keyring serial %q", payload)
	}
	return pid, int32(k), nil
}
