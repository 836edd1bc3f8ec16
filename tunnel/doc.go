// Package tunnel is how the outside reaches calwatch's webhook listener.
// There are three ways: local only (`listen --no-tunnel`, for the emulator
// and for tests), a public URL the user already forwards to the listener
// with a tunnel or reverse proxy of their own (`--public-url`), and, in a
// later issue, an ngrok tunnel opened by calwatch itself. Whatever the way,
// the result is a webhook URL to subscribe with Calendly; the verified
// webhook handler and its HTTP server live in tunnel/listener.
package tunnel
