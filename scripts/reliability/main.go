// Command reliability is the load, slow-client and input generator behind
// scripts/reliability.sh. It talks to 127.0.0.1 only.
//
//	reliability load -addr 127.0.0.1:PORT -n 20000 -c 32
//	reliability slow -addr 127.0.0.1:PORT -conns 200 -for 15s
//	reliability png -w 7071 -h 7071 -out big.png
package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: reliability load|slow|png [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "", "server host:port (127.0.0.1 only)")
	n := fs.Int("n", 20000, "load: requests in all")
	c := fs.Int("c", 32, "load: concurrent clients")
	conns := fs.Int("conns", 200, "slow: slow connections held open")
	dur := fs.Duration("for", 15*time.Second, "slow: how long")
	w := fs.Int("w", 0, "png: width")
	h := fs.Int("h", 0, "png: height")
	out := fs.String("out", "", "png: output file")
	fs.Parse(os.Args[2:])
	if os.Args[1] != "png" && !strings.HasPrefix(*addr, "127.0.0.1:") {
		fmt.Fprintln(os.Stderr, "reliability: -addr must be 127.0.0.1:PORT")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "load":
		load(*addr, *n, *c)
	case "slow":
		slow(*addr, *conns, *dur)
	case "png":
		if err := os.WriteFile(*out, greyPNG(*w, *h), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "reliability: unknown command", os.Args[1])
		os.Exit(2)
	}
}

var paths = []string{"/", "/sw.js", "/models/index.json", "/dist/wasm_exec.js"}

// get fetches one path and returns its latency, or an error for anything
// but a whole 200 response.
func get(client *http.Client, base, p string) (time.Duration, error) {
	t0 := time.Now()
	req, _ := http.NewRequest("GET", base+p, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("status %d", res.StatusCode)
	}
	return time.Since(t0), err
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// load sends n GETs from c keep-alive clients and prints the outcome.
func load(addr string, n, c int) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c, DisableCompression: true}}
	base := "http://" + addr
	var next, errs atomic.Int64
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := next.Add(1) - 1
				if k >= int64(n) {
					return
				}
				d, err := get(client, base, paths[k%int64(len(paths))])
				if err != nil {
					errs.Add(1)
					continue
				}
				lat[i] = append(lat[i], d)
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	all := slices.Concat(lat...)
	fmt.Printf("load: %d requests, %d clients, %d errors, %.0f req/s, p50 %v, p99 %v, max %v\n",
		n, c, errs.Load(), float64(n)/el.Seconds(), percentile(all, 0.5).Round(time.Microsecond),
		percentile(all, 0.99).Round(time.Microsecond), percentile(all, 1).Round(time.Microsecond))
}

// slow holds conns connections that send their headers one byte every
// second (slowloris) while a normal client fetches a page every 100 ms; it
// prints how the normal requests fared and when the server closed the
// slow connections.
func slow(addr string, conns int, dur time.Duration) {
	var closedBy atomic.Int64
	var closeTimes []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			t0 := time.Now()
			msg := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + strings.Repeat("a", 1000))
			for i := 0; time.Since(start) < dur; i++ {
				c.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Write(msg[i%len(msg) : i%len(msg)+1]); err != nil {
					break
				}
				// A read that ends means the server answered or closed.
				c.SetReadDeadline(time.Now().Add(time.Second))
				var b [512]byte
				if _, err := c.Read(b[:]); err == nil || !isTimeout(err) {
					closedBy.Add(1)
					mu.Lock()
					closeTimes = append(closeTimes, time.Since(t0))
					mu.Unlock()
					return
				}
			}
		}()
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var lat []time.Duration
	errs := 0
	for time.Since(start) < dur {
		d, err := get(client, "http://"+addr, "/")
		if err != nil {
			errs++
		} else {
			lat = append(lat, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	fmt.Printf("slow clients: %d connections sending headers at 1 byte/s for %v; server closed %d of them (median after %v); "+
		"meanwhile %d normal requests, %d errors, p99 %v\n",
		conns, dur, closedBy.Load(), percentile(closeTimes, 0.5).Round(100*time.Millisecond),
		len(lat)+errs, errs, percentile(lat, 0.99).Round(time.Microsecond))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// greyPNG is a w×h 8-bit grey PNG: a speckled band on black, like a scan's
// field, written row by row.
func greyPNG(w, h int) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	bw := bufio.NewWriter(zw)
	row := make([]byte, 1+w)
	for y := 0; y < h; y++ {
		clear(row)
		if y > h/8 && y < 7*h/8 {
			for x := 1 + w/10; x < 1+9*w/10; x++ {
				row[x] = byte(60 + (x*7+y*13)%64)
			}
		}
		bw.Write(row)
	}
	bw.Flush()
	zw.Close()
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", z.Bytes())...)
	return append(out, chunk("IEND", nil)...)
}
