// Package timing measures the phases of create, start and exec for
// `hutch --timings` (and --debug) and logs them as structured logrus fields
// ("phase_<name>_ms", milliseconds). When it is off, a Phases does nothing
// at all: no clock reads, no allocations.
package timing

import (
	"encoding/json"
	"math"
	"time"

	"github.com/sirupsen/logrus"
)

// Enabled is set once at start-up from --timings / --debug.
var Enabled bool

// Phases records consecutive phases of one operation.
type Phases struct {
	start, last time.Time
	names       []string
	durs        []time.Duration
}

// Start begins timing an operation; it returns nil (a no-op Phases) when
// timings are off.
func Start() *Phases { return New(Enabled) }

// New is Start for a process that learnt whether timings are on from its
// parent (the container init).
func New(on bool) *Phases { return NewAt(on, time.Now()) }

// NewAt is New with the first phase started at start (taken before the
// process knew whether timings are on).
func NewAt(on bool, start time.Time) *Phases {
	if !on {
		return nil
	}
	return &Phases{start: start, last: start}
}

// Mark ends the current phase under name and starts the next one.
func (p *Phases) Mark(name string) {
	if p == nil {
		return
	}
	now := time.Now()
	p.names = append(p.names, name)
	p.durs = append(p.durs, now.Sub(p.last))
	p.last = now
}

// Add records a phase measured elsewhere (the init's, reported over the
// sync socket); it does not move the current phase's start.
func (p *Phases) Add(name string, d time.Duration) {
	if p == nil {
		return
	}
	p.names = append(p.names, name)
	p.durs = append(p.durs, d)
}

// Merge adds the phases encoded by Encode (from the init) with prefix.
func (p *Phases) Merge(prefix string, data []byte) {
	if p == nil || len(data) == 0 {
		return
	}
	var enc []struct {
		N string `json:"n"`
		D int64  `json:"d"`
	}
	if err := json.Unmarshal(data, &enc); err != nil {
		logrus.Debugf("timings from init: %v", err)
		return
	}
	for _, e := range enc {
		p.Add(prefix+e.N, time.Duration(e.D))
	}
}

// Encode renders the phases for the parent (nil when off).
func (p *Phases) Encode() []byte {
	if p == nil {
		return nil
	}
	type ph struct {
		N string `json:"n"`
		D int64  `json:"d"`
	}
	enc := make([]ph, len(p.names))
	for i := range p.names {
		enc[i] = ph{p.names[i], int64(p.durs[i])}
	}
	data, _ := json.Marshal(enc)
	return data
}

// Log writes one log entry "<op> timings" with every phase and the total.
// The level is info, so that --timings shows it without --debug.
func (p *Phases) Log(op string) {
	if p == nil {
		return
	}
	f := make(logrus.Fields, len(p.names)+2)
	for i, n := range p.names {
		f["phase_"+n+"_ms"] = ms(p.durs[i])
	}
	f["total_ms"] = ms(time.Since(p.start))
	f["op"] = op
	logrus.WithFields(f).Info(op + " timings")
}

// ms is d in milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3
}
