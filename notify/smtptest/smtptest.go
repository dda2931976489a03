// Package smtptest is a small SMTP server for tests: it listens on
// 127.0.0.1, speaks enough of RFC 5321 for real clients (EHLO/HELO,
// STARTTLS or implicit TLS with a generated certificate, AUTH PLAIN, MAIL FROM, RCPT TO,
// DATA with dot-unstuffing, RSET, NOOP, VRFY, QUIT), records every message
// it accepts, and can be told to fail chosen commands with 4xx or 5xx
// replies.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures a Server. The zero value is a plain server without
// authentication or TLS.
type Config struct {
	// Hostname is the name in the greeting; "smtptest.localhost" when
	// empty.
	Hostname string
	// Username and Password, when Username is set, make AUTH PLAIN
	// required before MAIL FROM.
	Username string
	Password string
	// StartTLS offers STARTTLS with a self-signed certificate for
	// 127.0.0.1, ::1 and localhost (see Server.CertPool). AUTH is then
	// offered only after TLS is up, as real submission servers do.
	StartTLS bool
	// ImplicitTLS makes every session TLS from the first byte (SMTPS, as on
	// port 465), with the same certificate. STARTTLS is then not offered.
	ImplicitTLS bool
	// MaxMessageBytes caps a message; 10 MiB when zero. Larger messages
	// are refused with 552.
	MaxMessageBytes int
}

// Message is one accepted message.
type Message struct {
	// Helo is the name the client gave with EHLO or HELO.
	Helo string
	// From is the reverse path of MAIL FROM (without angle brackets).
	From string
	// To lists the forward paths of accepted RCPT TO commands.
	To []string
	// Data is the message as received, after dot-unstuffing, without the
	// terminating line ".".
	Data []byte
	// Username is the authenticated user, or "".
	Username string
	// TLS reports whether the session was encrypted.
	TLS bool
}

// Server is a running SMTP server.
type Server struct {
	// Addr is the listening address, "127.0.0.1:port".
	Addr string
	// Host and Port are Addr's parts.
	Host string
	Port int

	cfg  Config
	ln   net.Listener
	tls  *tls.Config
	pool *x509.CertPool
	wg   sync.WaitGroup

	mu       sync.Mutex
	messages []Message
	commands []string
	failures map[string]*failure
	conns    map[net.Conn]struct{}
	closed   bool
}

// failure is a programmed failure of one command.
type failure struct {
	code  int
	times int // remaining; <0 forever
}

// NewServer starts a server on 127.0.0.1 on a free port. Close it when
// done.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Hostname == "" {
		cfg.Hostname = "smtptest.localhost"
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 10 << 20
	}
	s := &Server{cfg: cfg, failures: map[string]*failure{}, conns: map[net.Conn]struct{}{}}
	if cfg.StartTLS || cfg.ImplicitTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.pool = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = ln.Addr().String()
	if cfg.ImplicitTLS {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// CertPool returns a pool holding the server's certificate, so clients can
// verify it properly; nil without StartTLS or ImplicitTLS.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Close stops the server, ends open sessions and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		m.To = append([]string(nil), m.To...)
		m.Data = bytes.Clone(m.Data)
		out[i] = m
	}
	return out
}

// Commands returns the command verbs received, in order, across sessions
// ("EHLO", "STARTTLS", "AUTH", "MAIL", ...). Arguments are left out, so
// credentials never show.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Reset forgets the accepted messages, the received commands and every
// programmed failure.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages, s.commands = nil, nil
	s.failures = map[string]*failure{}
}

// Fail makes the next times replies to command fail with code (a 4xx or
// 5xx); times ≤ 0 fails every reply until Reset. command is a verb: EHLO,
// HELO, AUTH, MAIL, RCPT, RSET, NOOP, or DATA. A DATA failure happens after
// the message has been received, at the end-of-data reply where real
// servers reject content, and the message is not recorded. Fail panics
// on a code outside 400-599.
func (s *Server) Fail(command string, code int, times int) {
	if code < 400 || code > 599 {
		panic(fmt.Sprintf("smtptest: Fail code %d is not 4xx or 5xx", code))
	}
	if times <= 0 {
		times = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[strings.ToUpper(command)] = &failure{code: code, times: times}
}

// takeFailure returns the code of a programmed failure of command, if any,
// consuming one use.
func (s *Server) takeFailure(command string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.failures[command]
	if f == nil || f.times == 0 {
		return 0, false
	}
	if f.times > 0 {
		f.times--
	}
	return f.code, true
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// Limits of a session.
const (
	maxLine       = 4096    // command line, as RFC 5321 allows at least 512
	maxDataLine   = 1 << 16 // text line; RFC 5321 says 1000, clients err
	maxRecipients = 100
	idleTimeout   = time.Minute
)

var errLineTooLong = errors.New("smtptest: line too long")

// session is one connection's state.
type session struct {
	s    *Server
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	tls  bool
	helo string
	user string
	// transaction
	from   string
	inMail bool
	to     []string
}

func (s *Server) serve(c net.Conn) {
	ss := &session{s: s, conn: c, r: bufio.NewReader(c), w: bufio.NewWriter(c), tls: s.cfg.ImplicitTLS}
	ss.reply(220, s.cfg.Hostname+" ESMTP smtptest ready")
	for {
		_ = ss.conn.SetDeadline(time.Now().Add(idleTimeout))
		line, err := ss.readLine(maxLine)
		if errors.Is(err, errLineTooLong) {
			ss.reply(500, "5.5.2 line too long")
			continue
		}
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(string(line), " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		s.commands = append(s.commands, verb)
		s.mu.Unlock()
		if !ss.handle(verb, strings.TrimSpace(arg)) {
			return
		}
	}
}

// readLine reads one line without its CRLF (or bare LF).
func (ss *session) readLine(limit int) ([]byte, error) {
	line, err := ss.readRaw(limit)
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// readRaw reads one line with its line end. A line longer than limit is
// consumed and reported as errLineTooLong.
func (ss *session) readRaw(limit int) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := ss.r.ReadSlice('\n')
		if !tooLong {
			line = append(line, chunk...)
			if len(line) > limit {
				tooLong, line = true, nil
			}
		}
		switch {
		case err == nil && tooLong:
			return nil, errLineTooLong
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func (ss *session) reply(code int, text string) {
	fmt.Fprintf(ss.w, "%d %s\r\n", code, text)
	_ = ss.w.Flush()
}

// replyLines sends a multi-line reply.
func (ss *session) replyLines(code int, lines ...string) {
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(ss.w, "%d%s%s\r\n", code, sep, l)
	}
	_ = ss.w.Flush()
}

// failed sends a programmed failure of verb, if there is one.
func (ss *session) failed(verb string) bool {
	code, ok := ss.s.takeFailure(verb)
	if !ok {
		return false
	}
	text := "4.0.0 smtptest: temporary failure"
	if code >= 500 {
		text = "5.0.0 smtptest: permanent failure"
	}
	ss.reply(code, text)
	return true
}

func (ss *session) resetTx() {
	ss.from, ss.inMail, ss.to = "", false, nil
}

// authOffered reports whether AUTH is available in this session's state.
func (ss *session) authOffered() bool {
	return ss.s.cfg.Username != "" && (ss.tls || !ss.s.cfg.StartTLS && !ss.s.cfg.ImplicitTLS)
}

// handle runs one command. It returns false when the session ends.
func (ss *session) handle(verb, arg string) bool {
	cfg := &ss.s.cfg
	switch verb {
	case "EHLO", "HELO":
		if arg == "" {
			ss.reply(501, "5.5.4 "+verb+" needs a domain")
			return true
		}
		if ss.failed(verb) {
			return true
		}
		ss.resetTx()
		ss.helo = arg
		if verb == "HELO" {
			ss.reply(250, cfg.Hostname)
			return true
		}
		lines := []string{cfg.Hostname + " greets " + arg, "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE " + strconv.Itoa(cfg.MaxMessageBytes)}
		if cfg.StartTLS && !ss.tls && !cfg.ImplicitTLS {
			lines = append(lines, "STARTTLS")
		}
		if ss.authOffered() {
			lines = append(lines, "AUTH PLAIN")
		}
		ss.replyLines(250, append(lines, "HELP")...)
	case "STARTTLS":
		switch {
		case !cfg.StartTLS || cfg.ImplicitTLS && !ss.tls:
			ss.reply(502, "5.5.1 STARTTLS not available")
		case ss.tls:
			ss.reply(503, "5.5.1 TLS already active")
		case arg != "":
			ss.reply(501, "5.5.4 STARTTLS takes no argument")
		default:
			ss.reply(220, "2.0.0 Ready to start TLS")
			tc := tls.Server(ss.conn, ss.s.tls)
			if err := tc.Handshake(); err != nil {
				return false
			}
			// RFC 3207: forget everything learnt before TLS.
			*ss = session{s: ss.s, conn: tc, r: bufio.NewReader(tc), w: bufio.NewWriter(tc), tls: true}
		}
	case "AUTH":
		ss.auth(arg)
	case "MAIL":
		addr, ok := path(arg, "FROM:")
		switch {
		case !ok:
			ss.reply(501, "5.5.4 syntax: MAIL FROM:<address>")
		case ss.helo == "":
			ss.reply(503, "5.5.1 send EHLO or HELO first")
		case cfg.Username != "" && ss.user == "":
			ss.reply(530, "5.7.0 authentication required")
		case ss.inMail:
			ss.reply(503, "5.5.1 nested MAIL command")
		case ss.failed(verb):
		default:
			ss.from, ss.inMail = addr, true
			ss.reply(250, "2.1.0 OK")
		}
	case "RCPT":
		addr, ok := path(arg, "TO:")
		switch {
		case !ok || addr == "":
			ss.reply(501, "5.5.4 syntax: RCPT TO:<address>")
		case !ss.inMail:
			ss.reply(503, "5.5.1 send MAIL first")
		case len(ss.to) >= maxRecipients:
			ss.reply(452, "4.5.3 too many recipients")
		case ss.failed(verb):
		default:
			ss.to = append(ss.to, addr)
			ss.reply(250, "2.1.5 OK")
		}
	case "DATA":
		switch {
		case arg != "":
			ss.reply(501, "5.5.4 DATA takes no argument")
		case !ss.inMail || len(ss.to) == 0:
			ss.reply(503, "5.5.1 send RCPT first")
		default:
			return ss.data()
		}
	case "RSET":
		if ss.failed(verb) {
			return true
		}
		ss.resetTx()
		ss.reply(250, "2.0.0 OK")
	case "NOOP":
		if !ss.failed(verb) {
			ss.reply(250, "2.0.0 OK")
		}
	case "VRFY":
		ss.reply(252, "2.5.2 cannot verify, but will accept")
	case "QUIT":
		ss.reply(221, "2.0.0 bye")
		return false
	default:
		ss.reply(500, "5.5.2 command not recognized")
	}
	return true
}

// path parses "FROM:<addr> params" or "TO:<addr> params".
func path(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// auth runs AUTH PLAIN (RFC 4954), with or without an initial response.
func (ss *session) auth(arg string) {
	mech, initial, hasInitial := strings.Cut(arg, " ")
	switch {
	case !ss.authOffered():
		if ss.s.cfg.Username != "" {
			ss.reply(538, "5.7.11 encryption required for requested authentication mechanism")
		} else {
			ss.reply(502, "5.5.1 AUTH not available")
		}
		return
	case ss.user != "":
		ss.reply(503, "5.5.1 already authenticated")
		return
	case ss.inMail:
		ss.reply(503, "5.5.1 AUTH not allowed during a mail transaction")
		return
	case !strings.EqualFold(mech, "PLAIN"):
		ss.reply(504, "5.5.4 mechanism not supported")
		return
	}
	if !hasInitial {
		ss.reply(334, "")
		line, err := ss.readLine(maxLine)
		if err != nil {
			return
		}
		initial = string(line)
	}
	if initial == "*" {
		ss.reply(501, "5.0.0 authentication canceled")
		return
	}
	if initial == "=" {
		initial = ""
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(initial))
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		ss.reply(501, "5.5.2 cannot decode the PLAIN response")
		return
	}
	if ss.failed("AUTH") {
		return
	}
	userOK := subtle.ConstantTimeCompare([]byte(parts[1]), []byte(ss.s.cfg.Username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(parts[2]), []byte(ss.s.cfg.Password)) == 1
	if !userOK || !passOK || (parts[0] != "" && parts[0] != parts[1]) {
		ss.reply(535, "5.7.8 authentication credentials invalid")
		return
	}
	ss.user = parts[1]
	ss.reply(235, "2.7.0 authentication successful")
}

// data receives a message up to the line ".", undoing dot-stuffing. It
// returns false when the connection failed.
func (ss *session) data() bool {
	ss.reply(354, "end data with <CR><LF>.<CR><LF>")
	var buf bytes.Buffer
	tooBig, tooLong := false, false
	for {
		_ = ss.conn.SetDeadline(time.Now().Add(idleTimeout))
		line, err := ss.readRaw(maxDataLine)
		if errors.Is(err, errLineTooLong) {
			tooLong = true
			continue
		}
		if err != nil {
			return false
		}
		if string(line) == ".\r\n" || string(line) == ".\n" {
			break
		}
		if line[0] == '.' {
			line = line[1:] // RFC 5321 §4.5.2
		}
		if buf.Len()+len(line) > ss.s.cfg.MaxMessageBytes {
			tooBig = true
			continue
		}
		if !tooBig {
			buf.Write(line)
		}
	}
	defer ss.resetTx()
	switch {
	case tooLong:
		ss.reply(500, "5.5.2 line too long")
		return true
	case tooBig:
		ss.reply(552, "5.3.4 message too big")
		return true
	case ss.failed("DATA"):
		return true
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, Message{
		Helo: ss.helo, From: ss.from, To: append([]string(nil), ss.to...),
		Data: buf.Bytes(), Username: ss.user, TLS: ss.tls,
	})
	n := len(ss.s.messages)
	ss.s.mu.Unlock()
	ss.reply(250, "2.0.0 OK: queued as "+strconv.Itoa(n))
	return true
}

// selfSigned makes an ECDSA certificate for the loopback addresses.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
