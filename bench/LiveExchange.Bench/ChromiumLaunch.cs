using Microsoft.Playwright;

namespace LiveExchange.Bench;

/// <summary>
/// How the browser tests and the video benchmark start the machine's Debian Chromium (never Playwright's
/// own download), headless and quiet; with fake media, a test-pattern camera and a beeping microphone
/// that need no permission prompt, and WebRTC allowed on loopback.
/// </summary>
public static class ChromiumLaunch
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("LIVEEXCHANGE_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    public static BrowserTypeLaunchOptions Options(bool fakeMedia = false) => new()
    {
        ExecutablePath = ExecutablePath,
        Headless = true,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            .. fakeMedia
                ? new[]
                {
                    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
                    "--autoplay-policy=no-user-gesture-required",
                }
                : [],
        ],
    };
}
