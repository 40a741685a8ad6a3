#!/usr/bin/env python3
"""A fake LiveKit server for meetd's tests (Python standard library only).

It serves LiveKit's Twirp API (RoomService and Egress, the methods meetd
uses) with LiveKit's authentication, request decoding, reply shapes and
errors, keeps rooms, participants and egresses in memory, and sends signed
webhooks (livekit.WebhookEvent) to a URL the way a LiveKit server does.
Egresses pretend to record: they go STARTING -> ACTIVE -> ENDING -> COMPLETE
and write a media file (a real MP4 made by ffmpeg when one is given).

Reference: /work/shared/reference/LIVEKIT.md (sections 1, 3, 5, 6) and the
livekit/livekit sources it cites (pkg/service/{auth,roomservice,egress,
errors,localstore}.go), livekit/egress pkg/pipeline/controller.go and the
twirp v8 generated server code.

In-process use:

    d = LiveKitDouble(api_key="devkey", api_secret="secret",
                      webhook_url=None, egress_dir=None, ffmpeg=None,
                      active_delay_ms=1000, port=0)
    d.start()                      # d.url, d.ws_url, d.port
    d.webhook_url = "http://127.0.0.1:%d/livekit/webhook" % meetd_port
    d.join("room", "ana")          # participant_joined (room auto-created)
    d.set_faults(egress_active="never")
    d.wait_idle(10)
    d.stop()

Command line (control over the /_fake/* HTTP endpoints):

    python3 livekit_double.py --port 0 --api-key devkey --api-secret secret \
        --webhook-url http://127.0.0.1:P/livekit/webhook --egress-dir DIR \
        [--ffmpeg ffmpeg] [--active-delay-ms 1000] [--faults JSON]

prints "READY <port>" on stdout once it listens and runs until SIGTERM or
SIGINT.
"""

import argparse
import base64
import binascii
import copy
import hashlib
import hmac
import http.client
import http.server
import json
import math
import os
import pathlib
import secrets
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

__all__ = ["LiveKitDouble", "FAULT_DEFAULTS", "TwirpError", "main"]

# ---------------------------------------------------------------------------
# Protobuf JSON (protojson) for the livekit messages used here.
#
# A message is a list of fields (proto_name, type[, label]); type is a scalar
# name, "enum:<Enum>", "any" (JSON passed through) or a message name; label
# is "rep" (repeated), "map" (map<string, type>), "opt" (proto3 optional) or
# "oneof:<group>". Values are kept in canonical form: dicts keyed by proto
# names, enums as names, int64 as int, bytes as bytes.
# ---------------------------------------------------------------------------

ENUMS = {
    "EgressStatus": {"EGRESS_STARTING": 0, "EGRESS_ACTIVE": 1,
                     "EGRESS_ENDING": 2, "EGRESS_COMPLETE": 3,
                     "EGRESS_FAILED": 4, "EGRESS_ABORTED": 5,
                     "EGRESS_LIMIT_REACHED": 6},
    "EgressSourceType": {"EGRESS_SOURCE_TYPE_WEB": 0,
                         "EGRESS_SOURCE_TYPE_SDK": 1},
    "EncodedFileType": {"DEFAULT_FILETYPE": 0, "MP4": 1, "OGG": 2, "MP3": 3},
    "EncodingOptionsPreset": {"H264_720P_30": 0, "H264_720P_60": 1,
                              "H264_1080P_30": 2, "H264_1080P_60": 3,
                              "PORTRAIT_H264_720P_30": 4,
                              "PORTRAIT_H264_720P_60": 5,
                              "PORTRAIT_H264_1080P_30": 6,
                              "PORTRAIT_H264_1080P_60": 7},
    "AudioCodec": {"DEFAULT_AC": 0, "OPUS": 1, "AAC": 2, "AC_MP3": 3},
    "VideoCodec": {"DEFAULT_VC": 0, "H264_BASELINE": 1, "H264_MAIN": 2,
                   "H264_HIGH": 3, "VP8": 4},
    "AudioMixing": {"DEFAULT_MIXING": 0, "DUAL_CHANNEL_AGENT": 1,
                    "DUAL_CHANNEL_ALTERNATE": 2},
    "StreamProtocol": {"DEFAULT_PROTOCOL": 0, "RTMP": 1, "SRT": 2},
    "SegmentedFileProtocol": {"DEFAULT_SEGMENTED_FILE_PROTOCOL": 0,
                              "HLS_PROTOCOL": 1},
    "SegmentedFileSuffix": {"INDEX": 0, "TIMESTAMP": 1},
    "ImageFileSuffix": {"IMAGE_SUFFIX_INDEX": 0, "IMAGE_SUFFIX_TIMESTAMP": 1,
                        "IMAGE_SUFFIX_NONE_OVERWRITE": 2},
    "ImageCodec": {"IC_DEFAULT": 0, "IC_JPEG": 1},
    "StreamInfoStatus": {"ACTIVE": 0, "FINISHED": 1, "FAILED": 2},
    "ParticipantState": {"JOINING": 0, "JOINED": 1, "ACTIVE": 2,
                         "DISCONNECTED": 3},
    "ParticipantKind": {"STANDARD": 0, "INGRESS": 1, "EGRESS": 2, "SIP": 3,
                        "AGENT": 4, "CONNECTOR": 7, "BRIDGE": 8},
    "ParticipantKindDetail": {"CLOUD_AGENT": 0, "FORWARDED": 1},
    "DisconnectReason": {"UNKNOWN_REASON": 0, "CLIENT_INITIATED": 1,
                         "DUPLICATE_IDENTITY": 2, "SERVER_SHUTDOWN": 3,
                         "PARTICIPANT_REMOVED": 4, "ROOM_DELETED": 5,
                         "STATE_MISMATCH": 6, "JOIN_FAILURE": 7,
                         "MIGRATION": 8, "SIGNAL_CLOSE": 9, "ROOM_CLOSED": 10,
                         "USER_UNAVAILABLE": 11, "USER_REJECTED": 12,
                         "SIP_TRUNK_FAILURE": 13, "CONNECTION_TIMEOUT": 14,
                         "MEDIA_FAILURE": 15},
    "TrackSource": {"UNKNOWN": 0, "CAMERA": 1, "MICROPHONE": 2,
                    "SCREEN_SHARE": 3, "SCREEN_SHARE_AUDIO": 4},
    "TrackType": {"AUDIO": 0, "VIDEO": 1, "DATA": 2},
    "DataPacketKind": {"RELIABLE": 0, "LOSSY": 1},
}

_UPLOADS = [("s3", "S3Upload", "oneof:output"),
            ("gcp", "GCPUpload", "oneof:output"),
            ("azure", "AzureBlobUpload", "oneof:output"),
            ("aliOSS", "AliOSSUpload", "oneof:output")]

MESSAGES = {
    # livekit_models.proto
    "Codec": [("mime", "string"), ("fmtp_line", "string")],
    "TimedVersion": [("unix_micro", "int64"), ("ticks", "int32")],
    "Room": [("sid", "string"), ("name", "string"),
             ("empty_timeout", "uint32"), ("departure_timeout", "uint32"),
             ("max_participants", "uint32"), ("creation_time", "int64"),
             ("creation_time_ms", "int64"), ("turn_password", "string"),
             ("enabled_codecs", "Codec", "rep"), ("metadata", "string"),
             ("num_participants", "uint32"), ("num_publishers", "uint32"),
             ("active_recording", "bool"), ("version", "TimedVersion")],
    "ParticipantPermission": [
        ("can_subscribe", "bool"), ("can_publish", "bool"),
        ("can_publish_data", "bool"),
        ("can_publish_sources", "enum:TrackSource", "rep"),
        ("hidden", "bool"), ("recorder", "bool"),
        ("can_update_metadata", "bool"), ("agent", "bool"),
        ("can_subscribe_metrics", "bool")],
    "TrackInfo": [("sid", "string"), ("type", "enum:TrackType"),
                  ("name", "string"), ("muted", "bool"),
                  ("width", "uint32"), ("height", "uint32"),
                  ("source", "enum:TrackSource"), ("mime_type", "string"),
                  ("mid", "string")],
    "ParticipantInfo": [
        ("sid", "string"), ("identity", "string"),
        ("state", "enum:ParticipantState"), ("tracks", "TrackInfo", "rep"),
        ("metadata", "string"), ("joined_at", "int64"),
        ("joined_at_ms", "int64"), ("name", "string"),
        ("version", "uint32"), ("permission", "ParticipantPermission"),
        ("region", "string"), ("is_publisher", "bool"),
        ("kind", "enum:ParticipantKind"), ("attributes", "string", "map"),
        ("disconnect_reason", "enum:DisconnectReason"),
        ("kind_details", "enum:ParticipantKindDetail", "rep")],
    # livekit_egress.proto
    "ProxyConfig": [("url", "string"), ("username", "string"),
                    ("password", "string")],
    "S3Upload": [("access_key", "string"), ("secret", "string"),
                 ("session_token", "string"), ("assume_role_arn", "string"),
                 ("assume_role_external_id", "string"), ("region", "string"),
                 ("endpoint", "string"), ("bucket", "string"),
                 ("force_path_style", "bool"),
                 ("metadata", "string", "map"), ("tagging", "string"),
                 ("content_disposition", "string"),
                 ("proxy", "ProxyConfig")],
    "GCPUpload": [("credentials", "string"), ("bucket", "string"),
                  ("proxy", "ProxyConfig")],
    "AzureBlobUpload": [("account_name", "string"),
                        ("account_key", "string"),
                        ("container_name", "string")],
    "AliOSSUpload": [("access_key", "string"), ("secret", "string"),
                     ("region", "string"), ("endpoint", "string"),
                     ("bucket", "string")],
    "EncodedFileOutput": [("file_type", "enum:EncodedFileType"),
                          ("filepath", "string"),
                          ("disable_manifest", "bool")] + _UPLOADS,
    "StreamOutput": [("protocol", "enum:StreamProtocol"),
                     ("urls", "string", "rep")],
    "SegmentedFileOutput": [
        ("protocol", "enum:SegmentedFileProtocol"),
        ("filename_prefix", "string"), ("playlist_name", "string"),
        ("live_playlist_name", "string"), ("segment_duration", "uint32"),
        ("filename_suffix", "enum:SegmentedFileSuffix"),
        ("disable_manifest", "bool")] + _UPLOADS,
    "ImageOutput": [("capture_interval", "uint32"), ("width", "int32"),
                    ("height", "int32"), ("filename_prefix", "string"),
                    ("filename_suffix", "enum:ImageFileSuffix"),
                    ("image_codec", "enum:ImageCodec"),
                    ("disable_manifest", "bool")] + _UPLOADS,
    "EncodingOptions": [("width", "int32"), ("height", "int32"),
                        ("depth", "int32"), ("framerate", "int32"),
                        ("audio_codec", "enum:AudioCodec"),
                        ("audio_bitrate", "int32"),
                        ("audio_quality", "int32"),
                        ("audio_frequency", "int32"),
                        ("video_codec", "enum:VideoCodec"),
                        ("video_bitrate", "int32"),
                        ("video_quality", "int32"),
                        ("key_frame_interval", "double")],
    "WebhookConfig": [("url", "string"), ("signing_key", "string")],
    "RoomCompositeEgressRequest": [
        ("room_name", "string"), ("layout", "string"),
        ("audio_only", "bool"), ("audio_mixing", "enum:AudioMixing"),
        ("video_only", "bool"), ("custom_base_url", "string"),
        ("file", "EncodedFileOutput", "oneof:output"),
        ("stream", "StreamOutput", "oneof:output"),
        ("segments", "SegmentedFileOutput", "oneof:output"),
        ("preset", "enum:EncodingOptionsPreset", "oneof:options"),
        ("advanced", "EncodingOptions", "oneof:options"),
        ("file_outputs", "EncodedFileOutput", "rep"),
        ("stream_outputs", "StreamOutput", "rep"),
        ("segment_outputs", "SegmentedFileOutput", "rep"),
        ("image_outputs", "ImageOutput", "rep"),
        ("webhooks", "WebhookConfig", "rep")],
    "StreamInfo": [("url", "string"), ("started_at", "int64"),
                   ("ended_at", "int64"), ("duration", "int64"),
                   ("status", "enum:StreamInfoStatus"), ("error", "string")],
    "StreamInfoList": [("info", "StreamInfo", "rep")],
    "FileInfo": [("filename", "string"), ("started_at", "int64"),
                 ("ended_at", "int64"), ("duration", "int64"),
                 ("size", "int64"), ("location", "string")],
    "SegmentsInfo": [("playlist_name", "string"),
                     ("live_playlist_name", "string"),
                     ("duration", "int64"), ("size", "int64"),
                     ("playlist_location", "string"),
                     ("live_playlist_location", "string"),
                     ("segment_count", "int64"), ("started_at", "int64"),
                     ("ended_at", "int64")],
    "ImagesInfo": [("filename_prefix", "string"), ("image_count", "int64"),
                   ("started_at", "int64"), ("ended_at", "int64")],
    "EgressInfo": [
        ("egress_id", "string"), ("room_id", "string"),
        ("room_name", "string"), ("source_type", "enum:EgressSourceType"),
        ("status", "enum:EgressStatus"), ("started_at", "int64"),
        ("ended_at", "int64"), ("updated_at", "int64"),
        ("details", "string"), ("error", "string"), ("error_code", "int32"),
        ("room_composite", "RoomCompositeEgressRequest", "oneof:request"),
        ("web", "any", "oneof:request"),
        ("participant", "any", "oneof:request"),
        ("track_composite", "any", "oneof:request"),
        ("track", "any", "oneof:request"),
        ("stream", "StreamInfoList", "oneof:result"),
        ("file", "FileInfo", "oneof:result"),
        ("segments", "SegmentsInfo", "oneof:result"),
        ("stream_results", "StreamInfo", "rep"),
        ("file_results", "FileInfo", "rep"),
        ("segment_results", "SegmentsInfo", "rep"),
        ("image_results", "ImagesInfo", "rep"),
        ("manifest_location", "string"), ("backup_storage_used", "bool")],
    "ListEgressRequest": [("room_name", "string"), ("egress_id", "string"),
                          ("active", "bool")],
    "ListEgressResponse": [("items", "EgressInfo", "rep")],
    "StopEgressRequest": [("egress_id", "string")],
    # livekit_room.proto
    "RoomEgress": [("room", "RoomCompositeEgressRequest"),
                   ("participant", "any"), ("tracks", "any")],
    "CreateRoomRequest": [
        ("name", "string"), ("room_preset", "string"),
        ("empty_timeout", "uint32"), ("departure_timeout", "uint32"),
        ("max_participants", "uint32"), ("node_id", "string"),
        ("metadata", "string"), ("egress", "RoomEgress"),
        ("min_playout_delay", "uint32"), ("max_playout_delay", "uint32"),
        ("sync_streams", "bool"), ("replay_enabled", "bool"),
        ("agents", "any", "rep")],
    "ListRoomsRequest": [("names", "string", "rep")],
    "ListRoomsResponse": [("rooms", "Room", "rep")],
    "DeleteRoomRequest": [("room", "string")],
    "DeleteRoomResponse": [],
    "ListParticipantsRequest": [("room", "string")],
    "ListParticipantsResponse": [("participants", "ParticipantInfo", "rep")],
    "RoomParticipantIdentity": [("room", "string"), ("identity", "string")],
    "RemoveParticipantResponse": [],
    "UpdateParticipantRequest": [
        ("room", "string"), ("identity", "string"), ("metadata", "string"),
        ("permission", "ParticipantPermission"), ("name", "string"),
        ("attributes", "string", "map")],
    "SendDataRequest": [
        ("room", "string"), ("data", "bytes"),
        ("kind", "enum:DataPacketKind"),
        ("destination_sids", "string", "rep"),
        ("destination_identities", "string", "rep"),
        ("topic", "string", "opt"), ("nonce", "bytes")],
    "SendDataResponse": [],
    # livekit_webhook.proto
    "WebhookEvent": [("event", "string"), ("room", "Room"),
                     ("participant", "ParticipantInfo"),
                     ("egress_info", "EgressInfo"), ("ingress_info", "any"),
                     ("track", "TrackInfo"), ("id", "string"),
                     ("created_at", "int64"), ("num_dropped", "int32")],
}

_SCALARS = {"string", "bool", "int32", "uint32", "int64", "uint64",
            "double", "bytes"}
_INT_RANGES = {"int32": (-2 ** 31, 2 ** 31 - 1), "uint32": (0, 2 ** 32 - 1),
               "int64": (-2 ** 63, 2 ** 63 - 1), "uint64": (0, 2 ** 64 - 1)}


def json_name(proto_name):
    """protoc's json_name: drop underscores, upper-case the next letter."""
    out, up = [], False
    for ch in proto_name:
        if ch == "_":
            up = True
            continue
        out.append(ch.upper() if up else ch)
        up = False
    return "".join(out)


class _Field:
    __slots__ = ("name", "json", "type", "label", "oneof")

    def __init__(self, spec):
        self.name, self.type = spec[0], spec[1]
        label = spec[2] if len(spec) > 2 else None
        self.json = json_name(self.name)
        self.oneof = label[6:] if label and label.startswith("oneof:") else None
        self.label = None if self.oneof else label


_FIELDS = {m: [_Field(s) for s in specs] for m, specs in MESSAGES.items()}


class DecodeError(ValueError):
    pass


_SKIP = object()


def _decode_int(t, v):
    if isinstance(v, bool):
        raise DecodeError("bool for " + t)
    if isinstance(v, float):
        if not v.is_integer():
            raise DecodeError("fraction for " + t)
        v = int(v)
    elif isinstance(v, str):
        try:
            v = int(v)
        except ValueError:
            try:
                f = float(v)
            except ValueError:
                raise DecodeError("bad integer %r" % v)
            if not f.is_integer():
                raise DecodeError("fraction for " + t)
            v = int(f)
    elif not isinstance(v, int):
        raise DecodeError("bad integer %r" % (v,))
    lo, hi = _INT_RANGES[t]
    if not lo <= v <= hi:
        raise DecodeError("out of range for " + t)
    return v


def _decode_value(t, v):
    if t == "string":
        if not isinstance(v, str):
            raise DecodeError("not a string")
        return v
    if t == "bool":
        if not isinstance(v, bool):
            raise DecodeError("not a bool")
        return v
    if t in _INT_RANGES:
        return _decode_int(t, v)
    if t == "double":
        if isinstance(v, bool):
            raise DecodeError("bool for double")
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, str):
            if v in ("NaN", "Infinity", "-Infinity"):
                return float(v.replace("Infinity", "inf"))
            try:
                return float(v)
            except ValueError:
                raise DecodeError("bad double")
        raise DecodeError("bad double")
    if t == "bytes":
        if not isinstance(v, str):
            raise DecodeError("bytes must be base64")
        s = v.replace("-", "+").replace("_", "/").rstrip("=")
        try:
            return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError("bad base64")
    if t.startswith("enum:"):
        names = ENUMS[t[5:]]
        if isinstance(v, str):
            return v if v in names else _SKIP  # unknown names are discarded
        if isinstance(v, int) and not isinstance(v, bool):
            for name, num in names.items():
                if num == v:
                    return name
            return v
        raise DecodeError("bad enum value")
    if t == "any":
        return v
    return decode(t, v)


def decode(msg, obj):
    """Decodes protojson (lowerCamelCase or proto names) into canonical
    form, like protojson.Unmarshal with DiscardUnknown."""
    if not isinstance(obj, dict):
        raise DecodeError("%s: not a JSON object" % msg)
    by_key = {}
    for f in _FIELDS[msg]:
        by_key[f.name] = f
        by_key[f.json] = f
    out, seen, oneofs = {}, set(), set()
    for k, v in obj.items():
        f = by_key.get(k)
        if f is None:
            continue
        if f.name in seen:
            raise DecodeError("duplicate field %s" % k)
        seen.add(f.name)
        if v is None:
            continue
        if f.oneof:
            if f.oneof in oneofs:
                raise DecodeError("oneof %s set twice" % f.oneof)
            oneofs.add(f.oneof)
        if f.label == "rep":
            if not isinstance(v, list):
                raise DecodeError("%s: not a list" % k)
            items = [_decode_value(f.type, x) for x in v]
            out[f.name] = [x for x in items if x is not _SKIP]
        elif f.label == "map":
            if not isinstance(v, dict):
                raise DecodeError("%s: not an object" % k)
            out[f.name] = {mk: _decode_value(f.type, mv)
                           for mk, mv in v.items()}
        else:
            val = _decode_value(f.type, v)
            if val is not _SKIP:
                out[f.name] = val
    return out


def _zero(t):
    if t in ("string",):
        return ""
    if t == "bool":
        return False
    if t in _INT_RANGES:
        return 0
    if t == "double":
        return 0.0
    if t == "bytes":
        return b""
    if t.startswith("enum:"):
        return next(n for n, num in ENUMS[t[5:]].items() if num == 0)
    return None


def _is_zero(t, v):
    if t.startswith("enum:"):
        return v == _zero(t) or v == 0
    return v == _zero(t)


def _encode_value(t, v, style):
    if t in ("int64", "uint64"):
        return str(int(v))
    if t in ("int32", "uint32"):
        return int(v)
    if t == "double":
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return int(v) if float(v).is_integer() else v
    if t == "bytes":
        return base64.b64encode(v).decode()
    if t.startswith("enum:"):
        return v
    if t in ("string", "bool", "any"):
        return v
    return render(t, v, style)


def render(msg, data, style):
    """Canonical -> protojson. style "snake": proto names, unpopulated
    fields emitted (Twirp's default replies); "camel": lowerCamelCase,
    zero values omitted (protojson.Marshal defaults, webhooks)."""
    snake = style == "snake"
    out = {}
    for f in _FIELDS[msg]:
        key = f.name if snake else f.json
        v = data.get(f.name)
        present = v is not None
        if f.oneof or f.label == "opt":
            if present:
                out[key] = _encode_value(f.type, v, style)
        elif f.label == "rep":
            v = v or []
            if v or snake:
                out[key] = [_encode_value(f.type, x, style) for x in v]
        elif f.label == "map":
            v = v or {}
            if v or snake:
                out[key] = {k: _encode_value(f.type, x, style)
                            for k, x in v.items()}
        elif f.type not in _SCALARS and not f.type.startswith("enum:"):
            if present:
                out[key] = _encode_value(f.type, v, style)
            elif snake:
                out[key] = None
        else:
            if not present:
                v = _zero(f.type)
            if snake or not _is_zero(f.type, v):
                out[key] = _encode_value(f.type, v, style)
    return out


def _dumps(obj, pretty=False):
    if pretty:
        return json.dumps(obj, indent=2, ensure_ascii=False).encode()
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# ---------------------------------------------------------------------------
# Twirp
# ---------------------------------------------------------------------------

TWIRP_STATUS = {"canceled": 408, "unknown": 500, "invalid_argument": 400,
                "malformed": 400, "deadline_exceeded": 408,
                "not_found": 404, "bad_route": 404, "already_exists": 409,
                "permission_denied": 403, "unauthenticated": 401,
                "resource_exhausted": 429, "failed_precondition": 412,
                "aborted": 409, "out_of_range": 400, "unimplemented": 501,
                "internal": 500, "unavailable": 503, "data_loss": 500}


class TwirpError(Exception):
    def __init__(self, code, msg, meta=None):
        super().__init__(msg)
        self.code, self.msg, self.meta = code, msg, meta

    def body(self):
        d = {"code": self.code, "msg": self.msg}
        if self.meta:
            d["meta"] = self.meta
        return _dumps(d)


# (service, method) -> (request message, handler name, reply message)
ROUTES = {
    ("livekit.RoomService", "CreateRoom"):
        ("CreateRoomRequest", "_rpc_create_room", "Room"),
    ("livekit.RoomService", "ListRooms"):
        ("ListRoomsRequest", "_rpc_list_rooms", "ListRoomsResponse"),
    ("livekit.RoomService", "DeleteRoom"):
        ("DeleteRoomRequest", "_rpc_delete_room", "DeleteRoomResponse"),
    ("livekit.RoomService", "ListParticipants"):
        ("ListParticipantsRequest", "_rpc_list_participants",
         "ListParticipantsResponse"),
    ("livekit.RoomService", "GetParticipant"):
        ("RoomParticipantIdentity", "_rpc_get_participant",
         "ParticipantInfo"),
    ("livekit.RoomService", "RemoveParticipant"):
        ("RoomParticipantIdentity", "_rpc_remove_participant",
         "RemoveParticipantResponse"),
    ("livekit.RoomService", "UpdateParticipant"):
        ("UpdateParticipantRequest", "_rpc_update_participant",
         "ParticipantInfo"),
    ("livekit.RoomService", "SendData"):
        ("SendDataRequest", "_rpc_send_data", "SendDataResponse"),
    ("livekit.Egress", "StartRoomCompositeEgress"):
        ("RoomCompositeEgressRequest", "_rpc_start_egress", "EgressInfo"),
    ("livekit.Egress", "ListEgress"):
        ("ListEgressRequest", "_rpc_list_egress", "ListEgressResponse"),
    ("livekit.Egress", "StopEgress"):
        ("StopEgressRequest", "_rpc_stop_egress", "EgressInfo"),
}

TWIRP_PREFIX = "/twirp/"

# ---------------------------------------------------------------------------
# JWT
# ---------------------------------------------------------------------------

_HMACS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
          "HS512": hashlib.sha512}
JWT_LEEWAY_S = 60  # go-jose jwt.DefaultLeeway, used by LiveKit's verifier


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(s):
    s = s.rstrip("=")
    if any(c not in string.ascii_letters + string.digits + "-_" for c in s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _jwt_parse(token):
    """Returns (header, claims, signing input, signature) or raises."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    header = json.loads(_b64url_decode(parts[0]))
    claims = json.loads(_b64url_decode(parts[1]))
    sig = _b64url_decode(parts[2])
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not JSON objects")
    return header, claims, (parts[0] + "." + parts[1]).encode(), sig


def _numeric(claims, name):
    v = claims.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("bad %s" % name)
    return v


def sign_webhook_token(body, api_key, api_secret, now=None, iss=None,
                       secret=None, nbf=None, exp=None, sha=None):
    """The Authorization value LiveKit sends with a webhook (LIVEKIT.md
    1.2): HS256 JWT, header {"alg":"HS256","typ":"JWT"}, claims exp, iss,
    nbf, sha256 (standard base64 of SHA-256 of the body), sorted keys."""
    now = int(time.time()) if now is None else now
    claims = {"exp": now + 300 if exp is None else exp,
              "iss": api_key if iss is None else iss,
              "nbf": now if nbf is None else nbf,
              "sha256": base64.b64encode(hashlib.sha256(body).digest()).decode()
              if sha is None else sha}
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = _b64url(json.dumps(claims, sort_keys=True,
                                 separators=(",", ":")).encode())
    signing = (header + "." + payload).encode()
    key = (api_secret if secret is None else secret).encode()
    return header + "." + payload + "." + _b64url(
        hmac.new(key, signing, hashlib.sha256).digest())


# ---------------------------------------------------------------------------
# Fault knobs
# ---------------------------------------------------------------------------

FAULT_DEFAULTS = {
    # Twirp side
    "refuse": None,              # None | "close" | "503"
    "slow_ms": 0,                # delay before every Twirp reply
    "reply_style": "snake",      # "snake" (real) | "camel"
    "egress_active": None,       # None | "never" | "immediate"
    "egress_start_error": False,  # True or a message -> 500 internal
    "egress_end": None,          # final status of StopEgress'd egresses
    "list_participants_unknown_room": "empty",  # "empty" (real) | "404"
    # rooms
    "timeout_scale": None,       # None: empty/departure timeouts disabled
    "non_meet": False,           # strip createdBy from new rooms' metadata
    # webhooks
    "bad_signature": False, "wrong_iss": False, "expired": False,
    "hash_mismatch": False, "bearer_prefix": False,
    "wrong_content_type": False, "whitespace": False, "duplicate": False,
    "out_of_order": False,
    "webhook_retries": 3,        # retries after the first attempt
    "webhook_backoff_ms": 100,   # first back-off, doubled each retry
    "webhook_timeout_ms": 5000,  # per attempt
}

_END_STATUSES = ("EGRESS_COMPLETE", "EGRESS_FAILED", "EGRESS_ABORTED",
                 "EGRESS_LIMIT_REACHED")
_LIVE = ("EGRESS_STARTING", "EGRESS_ACTIVE", "EGRESS_ENDING")
_KNOB_CHOICES = {"refuse": (None, "close", "503"),
                 "reply_style": ("snake", "camel"),
                 "egress_active": (None, "never", "immediate"),
                 "egress_end": (None,) + _END_STATUSES,
                 "list_participants_unknown_room": ("empty", "404")}

_ALNUM = string.ascii_letters + string.digits


def _rid(prefix):
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(12))


_PLACEHOLDER_MP4 = (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
                    b"\x00\x00\x00\x08free")


class _Room:
    def __init__(self, name, empty_timeout, departure_timeout,
                 max_participants, metadata):
        now = time.time()
        self.name = name
        self.sid = _rid("RM_")
        self.empty_timeout = empty_timeout
        self.departure_timeout = departure_timeout
        self.max_participants = max_participants
        self.metadata = metadata
        self.creation_time = int(now)
        self.creation_time_ms = int(now * 1000)
        self.created_mono = time.monotonic()
        self.last_left_mono = None
        self.participants = {}  # identity -> canonical ParticipantInfo
        self.active_recording = False

    def msg(self):
        return {"sid": self.sid, "name": self.name,
                "empty_timeout": self.empty_timeout,
                "departure_timeout": self.departure_timeout,
                "max_participants": self.max_participants,
                "creation_time": self.creation_time,
                "creation_time_ms": self.creation_time_ms,
                "enabled_codecs": [{"mime": m} for m in
                                   ("audio/opus", "audio/red", "video/VP8",
                                    "video/H264", "video/VP9", "video/AV1")],
                "metadata": self.metadata,
                "num_participants": len(self.participants),
                "num_publishers": sum(1 for p in self.participants.values()
                                      if p.get("is_publisher")),
                "active_recording": self.active_recording,
                "version": {"unix_micro": self.creation_time_ms * 1000}}

    def minimal(self):
        return {"sid": self.sid, "name": self.name}


class _Egress:
    def __init__(self, info, room_name, rel_path):
        self.info = info
        self.room_name = room_name
        self.rel_path = rel_path
        self.timer = None
        self.stop_ns = 0
        self.done = threading.Event()


class LiveKitDouble:
    """The fake LiveKit server. See the module docstring."""

    def __init__(self, api_key="devkey", api_secret="secret",
                 webhook_url=None, egress_dir=None, ffmpeg=None,
                 active_delay_ms=1000, port=0, host="127.0.0.1",
                 verbose=False):
        self.api_key = api_key
        self.api_secret = api_secret
        self.webhook_url = webhook_url
        self._own_egress_dir = egress_dir is None
        self.egress_dir = egress_dir
        self.ffmpeg = ffmpeg
        self.active_delay_ms = active_delay_ms
        self.host = host
        self._want_port = port
        self.port = None
        self.verbose = verbose
        self._lock = threading.RLock()           # rooms, egresses
        self._rooms = {}                         # name -> _Room
        self._egresses = {}                      # id -> _Egress (in order)
        self._faults = dict(FAULT_DEFAULTS)
        self._log_lock = threading.Lock()
        self._calls = []
        self._webhooks = []
        self._data = []
        self._q = threading.Condition()          # queues, busy count
        self._queues = {}                        # key -> list of items
        self._draining = set()                   # keys with a worker
        self._busy = 0
        self._stopping = False
        self._server = None
        self._threads = []

    # ---- lifecycle -------------------------------------------------------

    def start(self):
        if self.egress_dir is None:
            self.egress_dir = tempfile.mkdtemp(prefix="livekit-double-")
        self._server = _Server((self.host, self._want_port), _Handler, self)
        self.port = self._server.server_address[1]
        t = threading.Thread(target=self._server.serve_forever,
                             kwargs={"poll_interval": 0.05}, daemon=True,
                             name="lk-double-http")
        t.start()
        r = threading.Thread(target=self._reaper, daemon=True,
                             name="lk-double-reaper")
        r.start()
        self._threads = [t, r]
        return self

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def ws_url(self):
        return "ws://%s:%d" % (self.host, self.port)

    def stop(self):
        self._stopping = True
        with self._q:
            self._q.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_all()
            self._server.server_close()
            self._server = None
        with self._lock:
            for eg in self._egresses.values():
                if eg.timer is not None:
                    eg.timer.cancel()
                    eg.timer = None
        if self._own_egress_dir and self.egress_dir:
            import shutil
            shutil.rmtree(self.egress_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- observation -----------------------------------------------------

    @property
    def calls(self):
        with self._log_lock:
            return [dict(c) for c in self._calls]

    @property
    def webhooks_sent(self):
        with self._log_lock:
            return [dict(w) for w in self._webhooks]

    @property
    def data_sent(self):
        """SendData packets: {"room","topic","data" (text),
        "destinationIdentities","destinationSids","kind"}."""
        with self._log_lock:
            return [dict(d) for d in self._data]

    def clear_logs(self):
        with self._log_lock:
            self._calls.clear()
            self._webhooks.clear()
            self._data.clear()

    def rooms(self):
        with self._lock:
            return [render("Room", r.msg(), "camel")
                    for r in self._rooms.values()]

    def participants(self, room):
        with self._lock:
            r = self._rooms.get(room)
            if r is None:
                return []
            return [render("ParticipantInfo", p, "camel")
                    for p in r.participants.values()]

    def egresses(self):
        with self._lock:
            return [render("EgressInfo", e.info, "camel")
                    for e in self._egresses.values()]

    def faults(self):
        with self._lock:
            return dict(self._faults)

    def state(self):
        return {"rooms": self.rooms(), "egresses": self.egresses(),
                "calls": self.calls, "webhooks_sent": self.webhooks_sent,
                "data_sent": self.data_sent, "faults": self.faults(),
                "webhook_url": self.webhook_url,
                "egress_dir": self.egress_dir}

    def wait_idle(self, timeout=10.0):
        """Waits until no webhook is queued or being delivered and no egress
        transition is pending (the ACTIVE delay, the ENDING -> ended
        sequence, room close jobs); empty/departure timeouts do not count.
        Returns True when idle, False on timeout."""
        with self._q:
            return self._q.wait_for(lambda: self._busy == 0, timeout)

    # ---- faults ----------------------------------------------------------

    def set_faults(self, **knobs):
        for k, v in knobs.items():
            if k not in FAULT_DEFAULTS:
                raise ValueError("unknown fault knob %r" % k)
            if k in _KNOB_CHOICES and v not in _KNOB_CHOICES[k]:
                raise ValueError("bad value %r for %s" % (v, k))
        with self._lock:
            self._faults.update(knobs)

    def reset_faults(self):
        with self._lock:
            self._faults = dict(FAULT_DEFAULTS)

    # ---- test hooks ------------------------------------------------------

    def join(self, room, identity, name=None, metadata="", kind=None):
        """A participant connects: participant_joined (room_started first
        when the room does not exist, as with LiveKit's auto_create). Joining
        with an identity already present replaces that participant
        (participant_left DUPLICATE_IDENTITY). Returns the ParticipantInfo
        (camelCase)."""
        if not room or not identity:
            raise ValueError("room and identity are required")
        if kind is None:
            kind = "STANDARD"
        elif isinstance(kind, int):
            kind = next((n for n, v in ENUMS["ParticipantKind"].items()
                         if v == kind), kind)
        elif isinstance(kind, str):
            kind = kind.upper()
            if kind not in ENUMS["ParticipantKind"]:
                raise ValueError("unknown participant kind %r" % kind)
        with self._lock:
            r = self._rooms.get(room)
            if r is None:
                r = self._new_room(room, 0, 0, 0, "")
            old = r.participants.pop(identity, None)
            if old is not None:
                self._participant_left(r, old, "DUPLICATE_IDENTITY")
            now = time.time()
            p = {"sid": _rid("PA_"), "identity": identity, "state": "ACTIVE",
                 "metadata": metadata or "", "joined_at": int(now),
                 "joined_at_ms": int(now * 1000),
                 "name": identity if name is None else name, "version": 1,
                 "permission": {"can_subscribe": True, "can_publish": True,
                                "can_publish_data": True,
                                "can_update_metadata": True},
                 "is_publisher": False, "kind": kind, "attributes": {}}
            r.participants[identity] = p
            r.last_left_mono = None
            self._emit("participant_joined", ("room", room), room=r.msg(),
                       participant=p)
            return render("ParticipantInfo", p, "camel")

    def leave(self, room, identity):
        """The participant disconnects: participant_left (DISCONNECTED,
        CLIENT_INITIATED). KeyError if unknown."""
        with self._lock:
            r = self._rooms.get(room)
            if r is None or identity not in r.participants:
                raise KeyError("participant %s not in room %s"
                               % (identity, room))
            p = r.participants.pop(identity)
            self._participant_left(r, p, "CLIENT_INITIATED")

    def end_egress(self, egress_id, status="EGRESS_FAILED"):
        """Ends a live egress on its own (not through StopEgress), waits
        for the end and returns the final EgressInfo (camelCase). FAILED:
        error + errorCode 500; ABORTED: 412; LIMIT_REACHED: "End reason:
        Session limit reached", 413, media written; COMPLETE: egress_updated
        ENDING first, "End reason: Source closed", media written. KeyError
        if unknown, ValueError if already ended."""
        if status not in _END_STATUSES:
            raise ValueError("bad end status %r" % status)
        with self._lock:
            eg = self._egresses.get(egress_id)
            if eg is None:
                raise KeyError("egress does not exist")
            st = eg.info["status"]
            if st not in _LIVE:
                raise ValueError("egress with status %s cannot be ended" % st)
            if st == "EGRESS_ENDING":
                wait = True
            else:
                wait = False
                self._cancel_timer(eg)
                eg.stop_ns = time.time_ns()
                if status == "EGRESS_COMPLETE" and st == "EGRESS_ACTIVE":
                    self._set_status(eg, "EGRESS_ENDING")
                details = {"EGRESS_COMPLETE": "End reason: Source closed",
                           "EGRESS_LIMIT_REACHED":
                               "End reason: Session limit reached",
                           "EGRESS_FAILED": "End reason: Failure",
                           "EGRESS_ABORTED": "End reason: Failure"}[status]
                self._busy_inc()
        if not wait:
            try:
                self._finish(eg, status, details)
            finally:
                self._busy_dec()
        eg.done.wait(120)
        with self._lock:
            return render("EgressInfo", eg.info, "camel")

    # ---- internals: rooms ------------------------------------------------

    def _new_room(self, name, empty_timeout, departure_timeout,
                  max_participants, metadata):
        if self._faults["non_meet"] and metadata:
            try:
                md = json.loads(metadata)
            except ValueError:
                md = None
            if isinstance(md, dict):
                md.pop("createdBy", None)
                metadata = json.dumps(md)
            else:
                metadata = ""
        # LiveKit's room defaults (config room.empty_timeout 300 s,
        # room.departure_timeout 20 s) apply when the request gives 0.
        r = _Room(name, empty_timeout or 300, departure_timeout or 20,
                  max_participants, metadata)
        self._rooms[name] = r
        self._emit("room_started", ("room", name), room=r.msg())
        return r

    def _participant_left(self, r, p, reason):
        p["state"] = "DISCONNECTED"
        p["disconnect_reason"] = reason
        p["version"] = p.get("version", 0) + 1
        if not r.participants:
            r.last_left_mono = time.monotonic()
        self._emit("participant_left", ("room", r.name), room=r.msg(),
                   participant=p)

    def _reaper(self):
        while not self._stopping:
            time.sleep(0.05)
            with self._lock:
                scale = self._faults["timeout_scale"]
                if scale is None:
                    continue
                now = time.monotonic()
                for r in list(self._rooms.values()):
                    if r.participants:
                        continue
                    if r.last_left_mono is not None:
                        due = r.last_left_mono + r.departure_timeout * scale
                    else:
                        due = r.created_mono + r.empty_timeout * scale
                    if now >= due:
                        del self._rooms[r.name]
                        self._close_room(r)

    def _close_room(self, r):
        """Called with the lock held and the room already removed: live
        egresses end ("Source closed"), participants leave (ROOM_DELETED),
        room_finished; with out_of_order the room events go first."""
        out_of_order = self._faults["out_of_order"]
        egs = [e for e in self._egresses.values() if e.room_name == r.name
               and e.info["status"] in _LIVE]
        self._busy_inc()

        def room_events():
            with self._lock:
                for ident in list(r.participants):
                    p = r.participants.pop(ident)
                    p["state"] = "DISCONNECTED"
                    p["disconnect_reason"] = "ROOM_DELETED"
                    p["version"] = p.get("version", 0) + 1
                    self._emit("participant_left", ("room", r.name),
                               room=r.msg(), participant=p)
                r.active_recording = False
                self._emit("room_finished", ("room", r.name), room=r.msg())

        def end_egresses():
            for eg in egs:
                with self._lock:
                    st = eg.info["status"]
                    if st == "EGRESS_ENDING" or st not in _LIVE:
                        continue
                    self._cancel_timer(eg)
                    eg.stop_ns = time.time_ns()
                    if st == "EGRESS_STARTING":
                        final, details = ("EGRESS_ABORTED",
                                          "Start signal not received")
                    else:
                        self._set_status(eg, "EGRESS_ENDING")
                        final, details = ("EGRESS_COMPLETE",
                                          "End reason: Source closed")
                self._finish(eg, final, details)
            for eg in egs:
                eg.done.wait(120)
                self._wait_drained(("egress", eg.info["egress_id"]))

        def job():
            try:
                if out_of_order:
                    room_events()
                    self._wait_drained(("room", r.name))
                    end_egresses()
                else:
                    end_egresses()
                    room_events()
            finally:
                self._busy_dec()

        threading.Thread(target=job, daemon=True,
                         name="lk-double-close").start()

    # ---- internals: egress -----------------------------------------------

    def _cancel_timer(self, eg):
        if eg.timer is not None:
            if eg.timer.cancel_pending():
                self._busy_dec()
            eg.timer = None

    def _set_status(self, eg, status):
        """Lock held. Updates status/updatedAt and emits the webhook that
        LiveKit's IOService emits for it."""
        now = time.time_ns()
        info = eg.info
        info["status"] = status
        info["updated_at"] = now
        if status == "EGRESS_ACTIVE":
            info["started_at"] = now
            for fr in info["file_results"]:
                fr["started_at"] = now
        r = self._rooms.get(eg.room_name)
        if r is not None and r.sid == info["room_id"]:
            r.active_recording = any(
                e.info["status"] in ("EGRESS_ACTIVE", "EGRESS_ENDING")
                for e in self._egresses.values()
                if e.room_name == r.name)
        if status in ("EGRESS_ACTIVE", "EGRESS_ENDING"):
            event = "egress_updated"
        else:
            event = "egress_ended"
        self._emit(event, ("egress", info["egress_id"]),
                   room={"sid": info["room_id"], "name": info["room_name"]},
                   egress_info=info)

    def _activate(self, egress_id):
        with self._lock:
            eg = self._egresses.get(egress_id)
            if eg is not None and eg.timer is not None:
                eg.timer = None
                if eg.info["status"] == "EGRESS_STARTING":
                    self._set_status(eg, "EGRESS_ACTIVE")

    def _media_path(self, rel):
        base = os.path.abspath(self.egress_dir)
        full = os.path.normpath(os.path.join(base, rel.lstrip("/")))
        if not full.startswith(base + os.sep):
            full = os.path.join(base, os.path.basename(rel))
        return full

    def _write_media(self, rel, seconds):
        """Writes the recording; returns (size, location)."""
        full = self._media_path(rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        tmp = full + ".part"
        ok = False
        if self.ffmpeg:
            cmd = [self.ffmpeg, "-hide_banner", "-loglevel", "error",
                   "-nostdin", "-y",
                   "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                   "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                   "-t", "%.3f" % max(1.0, seconds),
                   "-c:v", "libx264", "-preset", "ultrafast",
                   "-pix_fmt", "yuv420p", "-c:a", "aac",
                   "-movflags", "+faststart", "-f", "mp4", tmp]
            try:
                res = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, timeout=120)
                ok = res.returncode == 0
                if not ok:
                    sys.stderr.write("livekit_double: ffmpeg failed: %s\n"
                                     % res.stderr.decode(errors="replace"))
            except (OSError, subprocess.TimeoutExpired) as e:
                sys.stderr.write("livekit_double: ffmpeg failed: %s\n" % e)
        if not ok:
            with open(tmp, "wb") as f:
                f.write(_PLACEHOLDER_MP4)
        os.replace(tmp, full)
        return os.path.getsize(full), pathlib.Path(full).as_uri()

    def _finish(self, eg, final, details):
        """Not under the lock: writes the media (for COMPLETE and
        LIMIT_REACHED), then sets the final state and emits egress_ended."""
        info = eg.info
        started = info.get("started_at") or 0
        media_ns = eg.stop_ns - started if started else 0
        size, location = 0, ""
        if final in ("EGRESS_COMPLETE", "EGRESS_LIMIT_REACHED") and started:
            try:
                size, location = self._write_media(eg.rel_path, media_ns / 1e9)
            except OSError as e:
                sys.stderr.write("livekit_double: cannot write media: %s\n"
                                 % e)
        with self._lock:
            info["ended_at"] = eg.stop_ns
            info["details"] = details
            if final == "EGRESS_FAILED":
                info["error"], info["error_code"] = "pipeline frozen", 500
            elif final == "EGRESS_ABORTED" and details.startswith("End"):
                info["error"], info["error_code"] = ("egress aborted", 412)
            elif final == "EGRESS_LIMIT_REACHED":
                info["error"], info["error_code"] = ("session limit reached",
                                                     413)
            for fr in info["file_results"]:
                if started:
                    fr["ended_at"] = eg.stop_ns
                    fr["duration"] = media_ns
                if size:
                    fr["size"] = size
                    fr["location"] = location
            self._set_status(eg, final)
            eg.done.set()

    def _stop_sequence(self, eg, final, details):
        try:
            self._finish(eg, final, details)
        finally:
            self._busy_dec()

    # ---- internals: webhooks ---------------------------------------------

    def _busy_inc(self):
        with self._q:
            self._busy += 1

    def _busy_dec(self):
        with self._q:
            self._busy -= 1
            self._q.notify_all()

    def _emit(self, event, key, room=None, participant=None,
              egress_info=None):
        """Lock held. Renders the event now and queues it on `key`."""
        ev = {"event": event, "id": _rid("EV_"),
              "created_at": int(time.time())}
        if room is not None:
            ev["room"] = room
        if participant is not None:
            ev["participant"] = participant
        if egress_info is not None:
            ev["egress_info"] = egress_info
        faults = dict(self._faults)
        obj = render("WebhookEvent", ev, "camel")
        body = _dumps(obj, pretty=faults["whitespace"])
        item = {"event": event, "id": ev["id"], "body": body, "obj": obj,
                "faults": faults}
        if egress_info is not None:
            item["egressId"] = egress_info["egress_id"]
        if room is not None:
            item["room"] = room.get("name")
        with self._q:
            self._busy += 1
            self._queues.setdefault(key, []).append(item)
            if key not in self._draining:
                self._draining.add(key)
                threading.Thread(target=self._drain, args=(key,),
                                 daemon=True, name="lk-double-hook").start()

    def _wait_drained(self, key, timeout=120):
        with self._q:
            self._q.wait_for(lambda: key not in self._draining
                             or self._stopping, timeout)

    def _drain(self, key):
        while True:
            with self._q:
                q = self._queues.get(key)
                if not q or self._stopping:
                    self._queues.pop(key, None)
                    self._draining.discard(key)
                    if self._stopping and q:
                        self._busy -= len(q)
                    self._q.notify_all()
                    return
                item = q.pop(0)
            try:
                if item["faults"]["duplicate"]:
                    ts = [threading.Thread(target=self._deliver, args=(item,),
                                           daemon=True) for _ in range(2)]
                    for t in ts:
                        t.start()
                    for t in ts:
                        t.join()
                else:
                    self._deliver(item)
            finally:
                self._busy_dec()

    def _deliver(self, item):
        f = item["faults"]
        body = item["body"]
        rec = {"event": item["event"], "id": item["id"], "status": None,
               "attempts": 0, "error": None, "body": item["obj"],
               "time": time.time()}
        if "egressId" in item:
            rec["egressId"] = item["egressId"]
        if "room" in item:
            rec["room"] = item["room"]
        url = self.webhook_url
        if not url:
            rec["error"] = "no webhook_url"
            self._record_webhook(rec)
            return
        now = int(time.time())
        token = sign_webhook_token(
            body, self.api_key, self.api_secret, now=now,
            iss=self.api_key + "-wrong" if f["wrong_iss"] else None,
            secret=self.api_secret + "-wrong" if f["bad_signature"] else None,
            nbf=now - 900 if f["expired"] else None,
            exp=now - 600 if f["expired"] else None,
            sha=base64.b64encode(hashlib.sha256(body + b" ").digest()).decode()
            if f["hash_mismatch"] else None)
        headers = {"Content-Type": "application/json" if
                   f["wrong_content_type"] else "application/webhook+json",
                   "Authorization": ("Bearer " + token) if f["bearer_prefix"]
                   else token}
        u = urllib.parse.urlsplit(url)
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        backoff = f["webhook_backoff_ms"] / 1000.0
        for attempt in range(1 + max(0, int(f["webhook_retries"]))):
            if self._stopping:
                rec["error"] = "stopped"
                break
            rec["attempts"] = attempt + 1
            try:
                conn_cls = (http.client.HTTPSConnection if u.scheme == "https"
                            else http.client.HTTPConnection)
                conn = conn_cls(u.hostname, u.port,
                                timeout=f["webhook_timeout_ms"] / 1000.0)
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    rec["status"], rec["error"] = resp.status, None
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                rec["status"], rec["error"] = None, "%s: %s" % (
                    type(e).__name__, e)
            if rec["status"] is not None and rec["status"] < 500 \
                    and rec["status"] != 429:
                break
            time.sleep(backoff)
            backoff *= 2
        self._record_webhook(rec)

    def _record_webhook(self, rec):
        with self._log_lock:
            self._webhooks.append(rec)
        if self.verbose:
            sys.stderr.write("livekit_double: webhook %s %s -> %s\n"
                             % (rec["event"], rec["id"], rec["status"]))

    # ---- Twirp -----------------------------------------------------------

    def _authenticate(self, headers, query):
        """LiveKit's APIKeyAuthMiddleware. Returns (claims or None, decoded
        claims for the log, error reply or None)."""
        auth = headers.get("Authorization")
        if auth:
            if not auth.startswith("Bearer "):
                return None, None, (401, "invalid authorization header. "
                                         "Must start with Bearer ")
            token = auth[len("Bearer "):]
        else:
            token = (query.get("access_token") or [""])[0]
        if not token:
            return None, None, None
        try:
            header, claims, signing, sig = _jwt_parse(token)
            alg = header.get("alg")
            if alg not in _HMACS:
                raise ValueError("unsupported alg")
        except (ValueError, UnicodeDecodeError):
            return None, None, (401, "invalid authorization token")
        iss = claims.get("iss")
        if not isinstance(iss, str) or iss != self.api_key:
            return None, claims, (401, "invalid API key: %s" % (iss or ""))
        mac = hmac.new(self.api_secret.encode(), signing,
                       _HMACS[alg]).digest()
        if not hmac.compare_digest(mac, sig):
            return None, claims, (401, "invalid token: %s, error: go-jose/"
                                  "go-jose: error in cryptographic primitive"
                                  % token)
        try:
            now = time.time()
            exp, nbf, iat = (_numeric(claims, "exp"), _numeric(claims, "nbf"),
                             _numeric(claims, "iat"))
        except ValueError:
            return None, claims, (401, "invalid authorization token")
        why = None
        if exp is not None and now - JWT_LEEWAY_S > exp:
            why = "token is expired (exp)"
        elif nbf is not None and now + JWT_LEEWAY_S < nbf:
            why = "token not valid yet (nbf)"
        elif iat is not None and now + JWT_LEEWAY_S < iat:
            why = "token issued in the future (iat)"
        if why:
            return None, claims, (401, "invalid token: %s, error: go-jose/"
                                  "go-jose/jwt: validation failed, %s"
                                  % (token, why))
        return claims, claims, None

    def _handle_twirp(self, method, path, query, headers, raw):
        """Returns (status, content type, body bytes), or None to close the
        connection without answering."""
        rest = path[len(TWIRP_PREFIX):] if path.startswith(TWIRP_PREFIX) \
            else ""
        service, _, rpc = rest.partition("/")
        call = {"service": service or None, "method": rpc or None,
                "path": path, "http_method": method, "body": None,
                "claims": None, "status": None, "time": time.time(),
                "content_type": headers.get("Content-Type")}
        try:
            call["body"] = json.loads(raw) if raw else None
        except ValueError:
            call["body"] = None
            call["raw"] = raw.decode(errors="replace")
        with self._log_lock:
            self._calls.append(call)
        with self._lock:
            faults = dict(self._faults)
        reply = self._twirp_reply(method, path, query, headers, raw, call,
                                  faults, service, rpc)
        if faults["slow_ms"]:
            time.sleep(faults["slow_ms"] / 1000.0)
        if reply is not None:
            call["status"] = reply[0]
        return reply

    def _twirp_reply(self, method, path, query, headers, raw, call, faults,
                     service, rpc):
        if faults["refuse"] == "close":
            return None
        if faults["refuse"] == "503":
            return (503, "application/json",
                    TwirpError("unavailable", "service unavailable").body())
        grants, claims, err = self._authenticate(headers, query)
        call["claims"] = claims
        if err:
            return (err[0], "text/plain; charset=utf-8", err[1].encode())
        try:
            if method != "POST":
                raise TwirpError(
                    "bad_route", 'unsupported method "%s" (only POST is '
                    'allowed)' % method,
                    {"twirp_invalid_route": "%s %s" % (method, path)})
            route = ROUTES.get((service, rpc))
            if route is None:
                raise TwirpError(
                    "bad_route", 'no handler for path "%s"' % path,
                    {"twirp_invalid_route": "%s %s" % (method, path)})
            ctype = headers.get("Content-Type") or ""
            if ctype.split(";")[0].strip().lower() != "application/json":
                raise TwirpError(
                    "bad_route", 'unexpected Content-Type: "%s"' % ctype,
                    {"twirp_invalid_route": "%s %s" % (method, path)})
            req_msg, handler, reply_msg = route
            try:
                req = decode(req_msg, json.loads(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                raise TwirpError("malformed",
                                 "the json request could not be decoded")
            out = getattr(self, handler)(grants or {}, req, faults)
            body = _dumps(render(reply_msg, out, faults["reply_style"]))
            return (200, "application/json", body)
        except TwirpError as e:
            return (TWIRP_STATUS.get(e.code, 500), "application/json",
                    e.body())

    @staticmethod
    def _need(grants, grant):
        video = grants.get("video")
        if not isinstance(video, dict) or video.get(grant) is not True:
            raise TwirpError("unauthenticated", "permissions denied")

    @staticmethod
    def _need_admin(grants, room):
        video = grants.get("video")
        if (not isinstance(video, dict) or video.get("roomAdmin") is not True
                or (video.get("room") or "") != room):
            raise TwirpError("unauthenticated", "permissions denied")

    _ROOM_NOT_FOUND = ("not_found", "requested room does not exist")

    def _rpc_create_room(self, g, req, faults):
        self._need(g, "roomCreate")
        name = req.get("name", "")
        if not name:
            raise TwirpError("invalid_argument", "no room name")
        with self._lock:
            r = self._rooms.get(name)
            if r is None:
                r = self._new_room(name, req.get("empty_timeout", 0),
                                   req.get("departure_timeout", 0),
                                   req.get("max_participants", 0),
                                   req.get("metadata", ""))
            return r.msg()

    def _rpc_list_rooms(self, g, req, faults):
        self._need(g, "roomList")
        names = req.get("names") or []
        with self._lock:
            return {"rooms": [r.msg() for r in self._rooms.values()
                              if not names or r.name in names]}

    def _rpc_delete_room(self, g, req, faults):
        self._need(g, "roomCreate")
        with self._lock:
            r = self._rooms.pop(req.get("room", ""), None)
            if r is None:
                raise TwirpError(*self._ROOM_NOT_FOUND)
            self._close_room(r)
        return {}

    def _rpc_list_participants(self, g, req, faults):
        room = req.get("room", "")
        self._need_admin(g, room)
        with self._lock:
            r = self._rooms.get(room)
            if r is None:
                if faults["list_participants_unknown_room"] == "404":
                    raise TwirpError(*self._ROOM_NOT_FOUND)
                return {"participants": []}
            return {"participants": list(r.participants.values())}

    def _find_participant(self, req, msg):
        r = self._rooms.get(req.get("room", ""))
        p = r.participants.get(req.get("identity", "")) if r else None
        if p is None:
            raise TwirpError("not_found", msg)
        return r, p

    def _rpc_get_participant(self, g, req, faults):
        self._need_admin(g, req.get("room", ""))
        with self._lock:
            return self._find_participant(req, "participant does not exist")[1]

    def _rpc_remove_participant(self, g, req, faults):
        self._need_admin(g, req.get("room", ""))
        with self._lock:
            # RoomService.RemoveParticipant: twirp.NotFoundError(...)
            r, p = self._find_participant(req, "participant not found")
            del r.participants[p["identity"]]
            self._participant_left(r, p, "PARTICIPANT_REMOVED")
        return {}

    def _rpc_update_participant(self, g, req, faults):
        self._need_admin(g, req.get("room", ""))
        with self._lock:
            r, p = self._find_participant(req, "participant does not exist")
            if req.get("metadata"):
                p["metadata"] = req["metadata"]
            if req.get("name"):
                p["name"] = req["name"]
            if "permission" in req:
                p["permission"] = req["permission"]
            for k, v in (req.get("attributes") or {}).items():
                if v == "":
                    p.setdefault("attributes", {}).pop(k, None)
                else:
                    p.setdefault("attributes", {})[k] = v
            p["version"] = p.get("version", 0) + 1
            return p

    def _rpc_send_data(self, g, req, faults):
        room = req.get("room", "")
        self._need_admin(g, room)
        nonce = req.get("nonce") or b""
        if len(nonce) not in (0, 16):
            raise TwirpError("invalid_argument", "nonce should be 16-bytes or"
                             " not present, got: %d bytes" % len(nonce))
        with self._lock:
            if room not in self._rooms:
                raise TwirpError(*self._ROOM_NOT_FOUND)
        with self._log_lock:
            self._data.append({
                "room": room, "topic": req.get("topic"),
                "data": (req.get("data") or b"").decode(errors="replace"),
                "kind": req.get("kind", "RELIABLE"),
                "destinationIdentities": req.get("destination_identities",
                                                 []),
                "destinationSids": req.get("destination_sids", []),
                "time": time.time()})
        return {}

    def _rpc_start_egress(self, g, req, faults):
        self._need(g, "roomRecord")
        if faults["egress_start_error"]:
            msg = faults["egress_start_error"]
            raise TwirpError("internal", msg if isinstance(msg, str)
                             else "could not start egress")
        room_name = req.get("room_name", "")
        if not room_name:
            raise TwirpError("invalid_argument", "request has missing or "
                             "invalid field: room_name")
        outs = req.get("file_outputs") or []
        fo = outs[0] if outs else req.get("file")
        if fo is None:
            raise TwirpError("invalid_argument", "request has missing or "
                             "invalid field: output")
        with self._lock:
            r = self._rooms.get(room_name)
            if r is None:
                raise TwirpError(*self._ROOM_NOT_FOUND)
            eid = _rid("EG_")
            fp = fo.get("filepath") or "{room_name}-{time}"
            fp = (fp.replace("{room_name}", room_name)
                  .replace("{room_id}", r.sid)
                  .replace("{time}", time.strftime("%Y-%m-%dT%H%M%S")))
            if not fp.endswith(".mp4"):
                fp += ".mp4"
            fr = {"filename": fp}
            info = {"egress_id": eid, "room_id": r.sid,
                    "room_name": room_name,
                    "source_type": "EGRESS_SOURCE_TYPE_WEB",
                    "status": "EGRESS_STARTING",
                    "updated_at": time.time_ns(),
                    "room_composite": req, "file_results": [fr]}
            if "file" in req:
                info["file"] = fr  # the deprecated result mirrors the file
            eg = _Egress(info, room_name, fp)
            self._egresses[eid] = eg
            self._emit("egress_started", ("egress", eid),
                       room=r.minimal(), egress_info=info)
            if faults["egress_active"] == "immediate":
                self._set_status(eg, "EGRESS_ACTIVE")
            elif faults["egress_active"] != "never":
                self._busy_inc()
                eg.timer = _Timer(self.active_delay_ms / 1000.0,
                                  self._activate_timer, eid)
                eg.timer.start()
            return copy.deepcopy(info)  # the state now, not at rendering

    def _activate_timer(self, eid):
        try:
            self._activate(eid)
        finally:
            self._busy_dec()

    def _rpc_list_egress(self, g, req, faults):
        self._need(g, "roomRecord")
        with self._lock:
            eid = req.get("egress_id")
            if eid:
                eg = self._egresses.get(eid)
                if eg is None:
                    raise TwirpError("not_found", "egress does not exist")
                return {"items": [eg.info]}
            room = req.get("room_name")
            items = [e.info for e in self._egresses.values()
                     if (not room or e.room_name == room)
                     and (not req.get("active") or e.info["status"] in _LIVE)]
            return {"items": items}

    def _rpc_stop_egress(self, g, req, faults):
        self._need(g, "roomRecord")
        with self._lock:
            eg = self._egresses.get(req.get("egress_id", ""))
            if eg is None:
                raise TwirpError("not_found", "egress does not exist")
            st = eg.info["status"]
            if st == "EGRESS_STARTING":
                # livekit/egress Controller.SendEOS: STARTING -> ABORTED
                self._cancel_timer(eg)
                eg.stop_ns = time.time_ns()
                eg.info["ended_at"] = eg.stop_ns
                eg.info["details"] = "Stop called before pipeline could start"
                self._set_status(eg, "EGRESS_ABORTED")
                eg.done.set()
                return copy.deepcopy(eg.info)
            if st != "EGRESS_ACTIVE":
                raise TwirpError("failed_precondition", "egress with status "
                                 "%s cannot be stopped" % st)
            eg.stop_ns = time.time_ns()
            self._set_status(eg, "EGRESS_ENDING")
            final = faults["egress_end"] or "EGRESS_COMPLETE"
            details = ("End reason: Session limit reached"
                       if final == "EGRESS_LIMIT_REACHED"
                       else "End reason: StopEgress API")
            reply = copy.deepcopy(eg.info)
            self._busy_inc()
            threading.Thread(target=self._stop_sequence,
                             args=(eg, final, details), daemon=True,
                             name="lk-double-stop").start()
            return reply

    # ---- HTTP control ----------------------------------------------------

    def _handle_control(self, method, path, raw):
        name = path[len("/_fake/"):]
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as e:
            return 400, {"error": "bad JSON: %s" % e}
        try:
            if method == "GET" and name == "state":
                return 200, self.state()
            if method != "POST":
                return 405, {"error": "use POST"}
            if name == "join":
                return 200, self.join(body.get("room"), body.get("identity"),
                                      name=body.get("name"),
                                      metadata=body.get("metadata", ""),
                                      kind=body.get("kind"))
            if name == "leave":
                self.leave(body.get("room"), body.get("identity"))
                return 200, {}
            if name == "faults":
                self.set_faults(**body)
                return 200, {"faults": self.faults()}
            if name == "reset_faults":
                self.reset_faults()
                return 200, {"faults": self.faults()}
            if name == "end_egress":
                eid = body.get("egressId") or body.get("egress_id")
                return 200, self.end_egress(
                    eid, body.get("status", "EGRESS_FAILED"))
            if name == "webhook_url":
                self.webhook_url = body.get("url") or None
                return 200, {"url": self.webhook_url}
            if name == "wait_idle":
                return 200, {"idle": self.wait_idle(
                    float(body.get("timeout", 10)))}
            if name == "clear_logs":
                self.clear_logs()
                return 200, {}
            return 404, {"error": "unknown control endpoint"}
        except KeyError as e:
            return 404, {"error": str(e.args[0] if e.args else e)}
        except (ValueError, TypeError) as e:
            return 400, {"error": str(e)}


class _Timer(threading.Timer):
    """A Timer whose cancel() tells whether it prevented the call."""

    def __init__(self, interval, fn, *args):
        super().__init__(interval, self._run_once, args=(fn,) + args)
        self.daemon = True
        self._claim = threading.Lock()
        self._claimed = False

    def _run_once(self, fn, *args):
        with self._claim:
            if self._claimed:
                return
            self._claimed = True
        fn(*args)

    def cancel_pending(self):
        self.cancel()
        with self._claim:
            if self._claimed:
                return False
            self._claimed = True
            return True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, double):
        self.double = double
        self._conns = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def process_request_thread(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def close_all(self):
        with self._conns_lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "livekit-double"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.double.verbose:
            sys.stderr.write("livekit_double: " + (fmt % args) + "\n")

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self, method):
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        d = self.server.double
        u = urllib.parse.urlsplit(self.path)
        if u.path.startswith("/_fake/"):
            status, obj = d._handle_control(method, u.path, raw)
            self._send(status, "application/json", _dumps(obj), method)
            return
        reply = d._handle_twirp(method, u.path,
                                urllib.parse.parse_qs(u.query), self.headers,
                                raw)
        if reply is None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(reply[0], reply[1], reply[2], method)

    def _send(self, status, ctype, body, method):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def do_POST(self):
        self._dispatch("POST")

    def do_GET(self):
        self._dispatch("GET")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_OPTIONS(self):
        self._dispatch("OPTIONS")


def main(argv=None):
    p = argparse.ArgumentParser(description="fake LiveKit server")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--api-key", default="devkey")
    p.add_argument("--api-secret", default="secret")
    p.add_argument("--webhook-url")
    p.add_argument("--egress-dir")
    p.add_argument("--ffmpeg")
    p.add_argument("--active-delay-ms", type=int, default=1000)
    p.add_argument("--faults", help="JSON object of fault knobs")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    d = LiveKitDouble(api_key=a.api_key, api_secret=a.api_secret,
                      webhook_url=a.webhook_url, egress_dir=a.egress_dir,
                      ffmpeg=a.ffmpeg, active_delay_ms=a.active_delay_ms,
                      port=a.port, host=a.host, verbose=a.verbose)
    if a.faults:
        d.set_faults(**json.loads(a.faults))
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    d.start()
    sys.stdout.write("READY %d\n" % d.port)
    sys.stdout.flush()
    while not done.wait(0.5):
        pass
    d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
