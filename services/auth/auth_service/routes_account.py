"""A guardian's consents per child, notification settings and push devices.

Consents: only a guardian of the child sets them (`child.consents.update`); the child's guardians,
the staff of its current group, its location's manager and the admins read them with their history.
Notification settings default to push for every type and e-mail for messages, newsletters, request
decisions and exports (`api.DEFAULT_NOTIFICATIONS`). A device is known by a hash of its push token, so
an app that registers at every start keeps one device per user.
"""

from __future__ import annotations

import hashlib
import logging

from auth_service import me
from auth_service.api import (
    DEFAULT_NOTIFICATIONS,
    NOTIFICATION_TYPES,
    ConsentChange,
    ConsentsIn,
    ConsentsOut,
    DeviceIn,
    DeviceOut,
    NotificationSettingsIn,
    NotificationSettingsOut,
)
from auth_service.directory import Directory, valid_id
from auth_service.store import ConsentItem, DeviceItem, NotificationSettingsItem
from portal_common import aws, clock, errors, store
from portal_common.contracts import auth as auth_events
from portal_common.service import PortalApp, Req
from portal_common.settings import get_settings

HISTORY_SHOWN = 50
log = logging.getLogger("auth.devices")


def current_settings(tenant: str, user_id: str) -> dict[str, dict[str, bool]]:
    merged = {kind: dict(channels) for kind, channels in DEFAULT_NOTIFICATIONS.items()}
    try:
        stored = NotificationSettingsItem.get(store.key(tenant, "USER", user_id), "NOTIFY").settings or {}
    except NotificationSettingsItem.DoesNotExist:
        stored = {}
    for kind, channels in stored.items():
        if kind in merged:
            merged[kind].update(channels)
    return merged


def register(app: PortalApp, directory: Directory) -> None:
    @app.endpoint("/children/{child_id}/consents", "PUT", action="child.consents.update", body=ConsentsIn,
                  response=ConsentsOut, summary="Give or withdraw a child's consents (photos, diary, outings)")
    def put_consents(req: Req, child_id: str) -> ConsentsOut:
        p = req.principal
        req.authorize(directory.child_target(p.tenant, valid_id(child_id)))
        body: ConsentsIn = req.body
        directory.set_consents(p.tenant, child_id, p.user_id, photos=body.photos, diary=body.diary,
                               outings=body.outings)
        return _consents(p.tenant, child_id)

    @app.endpoint("/children/{child_id}/consents", "GET", action="child.consents.read", response=ConsentsOut,
                  summary="A child's consents and their history (who changed what, when; newest first)")
    def get_consents(req: Req, child_id: str) -> ConsentsOut:
        req.authorize(directory.child_target(req.principal.tenant, valid_id(child_id)))
        return _consents(req.principal.tenant, child_id)

    @app.endpoint("/me/notification-settings", "GET", action="me.notification_settings.read",
                  response=NotificationSettingsOut, summary="Notification settings per type and channel")
    def get_settings(req: Req) -> NotificationSettingsOut:
        return NotificationSettingsOut(settings=current_settings(req.principal.tenant, req.principal.user_id))

    @app.endpoint("/me/notification-settings", "PUT", action="me.notification_settings.update",
                  body=NotificationSettingsIn, response=NotificationSettingsOut,
                  summary="Change notification settings; types left out keep their value")
    def put_settings(req: Req) -> NotificationSettingsOut:
        p = req.principal
        me.account_of(p)  # a token outliving its account (removed at retention) writes no row
        merged = current_settings(p.tenant, p.user_id)
        for kind in NOTIFICATION_TYPES:
            channels = getattr(req.body, kind)
            if channels is not None:
                merged[kind] = {"push": channels.push, "email": channels.email}
        ch = directory.changes(p.tenant)
        ch.save(NotificationSettingsItem(store.key(p.tenant, "USER", p.user_id), "NOTIFY", settings=merged))
        ch.emit(auth_events.NotificationSettingsChanged(user_id=p.user_id, settings=merged))
        ch.commit()
        return NotificationSettingsOut(settings=merged)

    @app.endpoint("/me/devices", "POST", action="me.devices.register", body=DeviceIn, response=DeviceOut,
                  status=201, summary="Register this device for push notifications")
    def register_device(req: Req) -> DeviceOut:
        p = req.principal
        me.account_of(p)  # a token outliving its account (removed at retention) registers no device
        device_id = device_id_of(req.body.platform, req.body.token)
        endpoint_arn = push_endpoint(req.body.platform, req.body.token, p.user_id)
        ch = directory.changes(p.tenant)
        ch.save(DeviceItem(store.key(p.tenant, "USER", p.user_id), f"DEVICE#{device_id}", device_id=device_id,
                           platform=req.body.platform, endpoint_arn=endpoint_arn,
                           registered_at=clock.now().isoformat()))
        ch.emit(auth_events.DeviceRegistered(user_id=p.user_id, device_id=device_id, platform=req.body.platform,
                                             token=req.body.token, endpoint_arn=endpoint_arn))
        ch.commit()
        return DeviceOut(id=device_id, platform=req.body.platform)

    @app.endpoint("/me/devices/{device_id}", "DELETE", action="me.devices.register", status=204,
                  summary="Stop push notifications to a device of one's own")
    def delete_device(req: Req, device_id: str) -> None:
        p = req.principal
        try:
            device = DeviceItem.get(store.key(p.tenant, "USER", p.user_id), f"DEVICE#{valid_id(device_id)}",
                                    consistent_read=True)
        except DeviceItem.DoesNotExist:
            raise errors.NotFound() from None
        ch = directory.changes(p.tenant)
        ch.delete(device)
        ch.emit(auth_events.DeviceRemoved(user_id=p.user_id, device_id=device_id, endpoint_arn=device.endpoint_arn))
        ch.commit()
        if device.endpoint_arn:
            try:
                aws.client("sns").delete_endpoint(EndpointArn=device.endpoint_arn)
            except Exception:  # messaging also drops it on auth.device.removed
                log.warning("could not delete the push endpoint", exc_info=True)


def device_id_of(platform: str, token: str) -> str:
    """The same device token registered again is the same device (no duplicate pushes)."""
    return hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()[:26]


def push_endpoint(platform: str, token: str, user_id: str) -> str | None:
    """The SNS platform endpoint for a device token, when a platform application is configured.

    Without one (a deployment without APNs/FCM credentials, the local stack) the device is kept and
    push simply has nowhere to go; messaging delivers e-mail meanwhile.
    """
    application = get_settings().push_applications.get(platform)
    if not application:
        return None
    try:
        answer = aws.client("sns").create_platform_endpoint(
            PlatformApplicationArn=application, Token=token, CustomUserData=user_id)
    except Exception as exc:
        raise errors.Unprocessable(code="push_token_refused", errors=[
            {"loc": ["body", "token"], "msg": "refused by the push service"}]) from exc
    return str(answer["EndpointArn"])


def _consents(tenant: str, child_id: str) -> ConsentsOut:
    pk = store.key(tenant, "CHILD", child_id)
    try:
        current = ConsentItem.get(pk, "CONSENT", consistent_read=True)
    except ConsentItem.DoesNotExist:
        current = None
    history = [ConsentChange(photos=h.photos, diary=h.diary, outings=h.outings, changed_by=h.changed_by or "",
                             changed_at=h.changed_at or "")
               for h in ConsentItem.query(pk, ConsentItem.sk.startswith("CONSENT#"), scan_index_forward=False,
                                          limit=HISTORY_SHOWN)]
    return ConsentsOut(child_id=child_id, photos=current.photos if current else None,
                       diary=current.diary if current else None, outings=current.outings if current else None,
                       history=history)
