package ngrok

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.ngrok.com/muxado/v2"
	sdk "golang.ngrok.com/ngrok/v2"
)

// fakeNgrok is a stand-in for ngrok's agent server, speaking the wire
// protocol the real agent speaks (TLS, muxado streams, JSON messages as in
// ngrok-go's internal/tunnel/proto): enough to authenticate, bind an
// endpoint and proxy connections, or to refuse with ngrok's error texts.
// It lets the real agent run end to end here, where ngrok cannot be reached.
type fakeNgrok struct {
	t         *testing.T
	ln        net.Listener
	pool      *x509.CertPool
	url       string // what a bind gets
	authError string // when set, every Auth is refused with it
	bindError string // when set, every Bind is refused with it

	mu       sync.Mutex
	sessions []muxado.TypedStreamSession
	tokens   []string
	binds    []map[string]any // the Opts of each Bind
	bindIDs  []string
}

// Message shapes from ngrok-go internal/tunnel/proto (msg.go).
const (
	authReq       = 0
	bindReq       = 1
	unbindReq     = 2
	proxyReq      = 3
	stopTunnelReq = 9
)

type authMsg struct {
	ClientID string `json:"ClientId"`
	Extra    struct{ Authtoken string }
}

type authResp struct {
	Version  string
	ClientID string `json:"ClientId"`
	Error    string
	Extra    struct{ AgentSessionID, Region string }
}

type bindMsg struct {
	ID    string `json:"Id"`
	Proto string
	Opts  map[string]any
}

type bindResp struct {
	ID    string `json:"Id"`
	URL   string
	Proto string
	Opts  map[string]any
	Error string
	Extra struct{ Token, TunnelID string }
}

type proxyHeader struct {
	ID         string `json:"Id"`
	ClientAddr string
	Proto      string
	EdgeType   string
}

func newFakeNgrok(t *testing.T, url string) *fakeNgrok {
	t.Helper()
	cert, pool := selfSignedCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNgrok{t: t, ln: ln, pool: pool, url: url}
	go f.serve()
	t.Cleanup(f.close)
	return f
}

// close stops the fake: no more connections, and every session cut.
func (f *fakeNgrok) close() {
	f.ln.Close()
	f.dropAll()
}

// configure points an agent at the fake and makes it trust its
// certificate. Heartbeats are quick, so that the sessions a drop leaves
// behind (ngrok-go closes them when their heartbeat times out, not when
// they fail) are gone within a second.
func (f *fakeNgrok) configure(cfg *Config) {
	cfg.ConnectAddr = f.ln.Addr().String()
	cfg.agentOptions = append(cfg.agentOptions,
		sdk.WithAgentConnectCAs(f.pool),
		sdk.WithHeartbeatInterval(200*time.Millisecond),
		sdk.WithHeartbeatTolerance(300*time.Millisecond))
}

func (f *fakeNgrok) serve() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.session(conn)
	}
}

func (f *fakeNgrok) session(conn net.Conn) {
	typed := muxado.NewTypedStreamSession(muxado.Server(conn, &muxado.Config{}))
	// Answers the agent's heartbeats; the fake sends none of its own.
	sess := muxado.NewHeartbeat(typed, func(time.Duration, bool) {}, nil)
	f.mu.Lock()
	f.sessions = append(f.sessions, sess)
	f.mu.Unlock()
	for {
		str, err := sess.AcceptTypedStream()
		if err != nil {
			return
		}
		go f.answer(str)
	}
}

func (f *fakeNgrok) answer(str muxado.TypedStream) {
	defer str.Close()
	dec, enc := json.NewDecoder(str), json.NewEncoder(str)
	switch str.StreamType() {
	case authReq:
		var req authMsg
		if dec.Decode(&req) != nil {
			return
		}
		f.mu.Lock()
		f.tokens = append(f.tokens, req.Extra.Authtoken)
		f.mu.Unlock()
		// No client id: given one, ngrok-go swaps its session's logger
		// while heartbeats read it, a race in ngrok-go itself (v2.4.0,
		// raw_session.go Auth vs onHeartbeat) that -race would report.
		resp := authResp{Version: "3", Error: f.authError}
		resp.Extra.AgentSessionID, resp.Extra.Region = "fake-session", "local"
		enc.Encode(resp)
	case bindReq:
		var req bindMsg
		if dec.Decode(&req) != nil {
			return
		}
		id := req.ID
		if id == "" {
			id = "fake-bind"
		}
		f.mu.Lock()
		f.binds = append(f.binds, req.Opts)
		f.bindIDs = append(f.bindIDs, id)
		f.mu.Unlock()
		f.mu.Lock()
		url := f.url
		f.mu.Unlock()
		resp := bindResp{ID: id, URL: url, Proto: "https", Opts: map[string]any{"URL": url}, Error: f.bindError}
		resp.Extra.Token, resp.Extra.TunnelID = "fake-bind-token", "fake-tunnel"
		enc.Encode(resp)
	default: // unbind and anything else: an empty answer
		var req map[string]any
		dec.Decode(&req)
		enc.Encode(map[string]any{})
	}
}

// get sends GET path through the endpoint, as ngrok's edge would after
// ending TLS, and returns the status and body.
func (f *fakeNgrok) get(path string) (int, string, error) {
	f.mu.Lock()
	sess := f.sessions[len(f.sessions)-1]
	id := f.bindIDs[len(f.bindIDs)-1]
	f.mu.Unlock()
	str, err := sess.OpenTypedStream(proxyReq)
	if err != nil {
		return 0, "", err
	}
	defer str.Close()
	str.SetDeadline(time.Now().Add(10 * time.Second))
	hdr, _ := json.Marshal(proxyHeader{ID: id, ClientAddr: "203.0.113.9:40000", Proto: "https", EdgeType: "1"})
	binary.Write(str, binary.LittleEndian, int64(len(hdr)))
	str.Write(hdr)
	req, _ := http.NewRequest(http.MethodGet, "https://fake.invalid"+path, nil)
	if err := req.Write(str); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(str), req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String(), nil
}

// stopTunnel has ngrok end the endpoint while the session stays, with
// ngrok's message and code, and answers later binds with url.
func (f *fakeNgrok) stopTunnel(msg, code, url string) error {
	f.mu.Lock()
	sess := f.sessions[len(f.sessions)-1]
	id := f.bindIDs[len(f.bindIDs)-1]
	f.url = url
	f.mu.Unlock()
	str, err := sess.OpenTypedStream(stopTunnelReq)
	if err != nil {
		return err
	}
	defer str.Close()
	return json.NewEncoder(str).Encode(map[string]string{"Id": id, "Message": msg, "ErrorCode": code})
}

// dropAll cuts every agent session, as a network outage would.
func (f *fakeNgrok) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		s.Close()
	}
}

func (f *fakeNgrok) seen() (tokens []string, binds []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...), append([]map[string]any(nil), f.binds...)
}

func selfSignedCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake ngrok"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
