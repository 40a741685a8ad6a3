"""Creates rooms until a meetd holds at least N, then writes every room id
to a file (one per line). Standard library only.

    python3 bench/fill.py URL API_KEY N IDS_FILE
"""

import http.client
import json
import sys
import urllib.parse


def main():
    url, key, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    hdr = {"X-API-KEY": key, "Content-Type": "application/json"}
    ids, token = [], None
    while True:
        q = {"maxItems": "100", "fields": "roomId"}
        if token:
            q["nextPageToken"] = token
        conn.request("GET", "/api/v1/rooms?" + urllib.parse.urlencode(q),
                     headers=hdr)
        body = json.loads(conn.getresponse().read())
        ids.extend(r["roomId"] for r in body["rooms"])
        if not body["pagination"]["isTruncated"]:
            break
        token = body["pagination"]["nextPageToken"]
    while len(ids) < n:
        conn.request("POST", "/api/v1/rooms", body='{"roomName":"Fill"}',
                     headers=hdr)
        ids.append(json.loads(conn.getresponse().read())["roomId"])
    with open(out, "w") as f:
        f.write("\n".join(ids) + "\n")
    print("%d rooms" % len(ids))


if __name__ == "__main__":
    main()
