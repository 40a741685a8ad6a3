"""Makes one complete recording of at least 1 MiB on a running meetd (local
backend) and prints its id. Standard library only.

    python3 bench/record.py URL API_KEY MEETCTL
"""

import http.client
import json
import subprocess
import sys
import time
import urllib.parse


def main():
    url, key, meetctl = sys.argv[1], sys.argv[2], sys.argv[3]
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    hdr = {"X-API-KEY": key, "Content-Type": "application/json"}

    def call(method, path, body=None):
        conn.request(method, "/api/v1" + path,
                     body=json.dumps(body) if body is not None else None,
                     headers=hdr)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")

    enc = {"video": {"width": 1280, "height": 720, "framerate": 30,
                     "codec": "H264_MAIN", "bitrate": 4000,
                     "keyFrameInterval": 1, "depth": 24},
           "audio": {"codec": "AAC", "bitrate": 128, "frequency": 44100}}
    st, room = call("POST", "/rooms", {"roomName": "Bench recording",
                                       "config": {"recording": {"enabled": True,
                                                                "encoding": enc}}})
    rid = room["roomId"]
    subprocess.run([meetctl, "--url", url, "meeting", "start", rid,
                    "--participants", "1"], check=True, capture_output=True)
    st, rec = call("POST", "/recordings", {"roomId": rid})
    if st != 201:
        sys.exit("start failed: %d %s" % (st, rec))
    time.sleep(4)
    call("POST", "/recordings/%s/stop" % rec["recordingId"])
    for _ in range(200):
        st, got = call("GET", "/recordings/" + rec["recordingId"])
        if got.get("status") == "complete":
            break
        time.sleep(0.05)
    if got.get("status") != "complete" or got.get("size", 0) < 1048576:
        sys.exit("recording not usable: %s" % got)
    print(rec["recordingId"])


if __name__ == "__main__":
    main()
