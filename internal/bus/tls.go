package bus

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// TLSFiles are the PEM files of a connection to the broker over TLS
// (config broker.ca_file, cert_file, key_file; the flags -cafile, -cert,
// -key). cherga, cherga-announcer and chergactl build their TLS
// configuration from them alike.
type TLSFiles struct {
	// CA is the CA that signed the broker's certificate; "" trusts the
	// system's CAs (or those of the file $SSL_CERT_FILE names).
	CA string
	// Cert and Key are the client's certificate and its private key, for
	// a broker that asks for one (mutual TLS): both or neither.
	Cert, Key string
}

// Any reports whether any file is given.
func (f TLSFiles) Any() bool { return f.CA != "" || f.Cert != "" || f.Key != "" }

// Or is f with each file it does not give taken from g: flags over the
// configuration file.
func (f TLSFiles) Or(g TLSFiles) TLSFiles {
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return TLSFiles{CA: pick(f.CA, g.CA), Cert: pick(f.Cert, g.Cert), Key: pick(f.Key, g.Key)}
}

// Config reads the files into a TLS configuration: nil when none is given
// (a TLS URL then trusts the system's CAs). Its errors name the file and
// what is wrong with it.
func (f TLSFiles) Config() (*tls.Config, error) {
	if !f.Any() {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("bus: CA file: %w%s", err, permHint(err))
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("bus: CA file %s: no PEM certificate in it", f.CA)
		}
	}
	switch {
	case f.Cert != "" && f.Key == "":
		return nil, errors.New("bus: a client certificate needs its key file too")
	case f.Key != "" && f.Cert == "":
		return nil, errors.New("bus: a client key needs its certificate file too")
	case f.Cert != "":
		// The key is a secret: one anybody on the machine may read is
		// refused, as a password file is (its group, the service's, may).
		if fi, err := os.Stat(f.Key); err == nil && fi.Mode().Perm()&0o007 != 0 {
			return nil, fmt.Errorf("bus: client key %s may be read by every user of this machine (mode %s): chmod o-rwx it", f.Key, fi.Mode().Perm())
		}
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("bus: client certificate %s and key %s: %w%s", f.Cert, f.Key, err, permHint(err))
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

func permHint(err error) string {
	if errors.Is(err, fs.ErrPermission) {
		return " (the program's user must be able to read it)"
	}
	return ""
}

// ReadPasswordFile gives the first line of the file of a broker account's
// password (-password-file). Like ssh with a private key, it refuses a
// file that users other than its owner may read or write: the password
// would be everyone's on that machine.
func ReadPasswordFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("%s: its mode is %04o, so other users may read it: chmod 600 %s (or 400), owned by the user that runs this", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	pass, _, _ := strings.Cut(string(b), "\n")
	pass = strings.TrimSuffix(pass, "\r")
	if pass == "" {
		return "", fmt.Errorf("%s: the first line is empty", path)
	}
	return pass, nil
}
