// Package tunnel is how the outside reaches calwatch's webhook listener.
// There are three ways, each a Tunnel: local only (`listen --no-tunnel`,
// for the emulator and for tests: Local), a public URL the user already
// forwards to the listener with a tunnel or reverse proxy of their own
// (`--public-url`: Fixed), and an ngrok tunnel opened by calwatch itself
// (tunnel/ngrok), whose public traffic arrives on a net.Listener of its own
// that Merge joins to the local one so both are served by the same handler.
//
// A Tunnel reports what happens to it as typed events (Online, Offline,
// URLChanged, Stuck, Stopped) on a channel that never blocks the tunnel:
// when nobody reads, the oldest events give way to the newest, and URL
// always answers the current state. tunnel/tunneltest has a Fake for tests
// of whatever drives a tunnel. The verified webhook handler and its HTTP
// server live in tunnel/listener.
package tunnel
