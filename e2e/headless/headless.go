// Package headless is how the e2e tests and the benchmark (bench/) start
// Chromium: headless, on a fresh profile, without the browser's own
// background work, so that what they time is the page.
package headless

import "github.com/chromedp/chromedp"

// Options starts chromium (a path) on the profile directory profile.
func Options(chromium, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Headless Chromium still loads its omnibox popup (WebUI pages,
		// in a renderer of their own) as each tab opens and navigates:
		// half a second of a core, seen in a trace, inside every page
		// start timed on the 2-core machine. A user's browser has it
		// loaded long before they open the app.
		chromedp.Flag("disable-features", "PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup"),
	}
}
