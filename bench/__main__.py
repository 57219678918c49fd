"""`make bench`: every benchmark of the project, printing figures. `--skip-tests` skips timing the suite."""

from __future__ import annotations

import sys

from bench import startup


def main() -> None:
    startup.main(skip_tests="--skip-tests" in sys.argv)
    from bench import auth  # configures a test environment: after the subprocess benches

    auth.main()
    from bench import planning

    planning.main()
    from bench import billing

    billing.main()
    from bench import timeline_images

    timeline_images.main()
    from bench import timeline_feed

    timeline_feed.main()
    from bench import messaging_inbox

    messaging_inbox.main()
    from bench import messaging_notifications

    messaging_notifications.main()
    from bench import exports_archive

    exports_archive.main()
    from bench import retention_purge

    retention_purge.main()


if __name__ == "__main__":
    main()
