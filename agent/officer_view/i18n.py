"""Officer-facing text, Thai first (the page's default), English on request."""

from __future__ import annotations

from agent.officer_view.display import Lang

STRINGS: dict[str, dict[Lang, str]] = {
    "title": {"th": "ตรวจสอบบัตรประจำตัวประชาชน", "en": "ID card verification"},
    "switch": {"th": "English", "en": "ภาษาไทย"},
    "idle": {"th": "ยังไม่มีบัตร: เสียบบัตรประชาชนที่เครื่องอ่าน", "en": "No card: insert the ID card"},
    "reading": {"th": "กำลังอ่านบัตร… อย่าดึงบัตรออก", "en": "Reading the card… do not pull it out"},
    "shown": {"th": "ข้อมูลจากบัตรที่เสียบอยู่", "en": "Data of the card in the reader"},
    "timed_out": {
        "th": "ล้างข้อมูลแล้วเพราะเกินเวลา: ดึงบัตรออกแล้วเสียบใหม่",
        "en": "Cleared after the time limit: take the card out and insert it again",
    },
    "read_interrupted": {
        "th": "บัตรถูกดึงออกระหว่างอ่าน: ไม่มีข้อมูลแสดง เสียบบัตรใหม่อีกครั้ง",
        "en": "The card was pulled out during the read: nothing is shown; insert it again",
    },
    "failed": {
        "th": "อ่านบัตรไม่สำเร็จ: ไม่มีข้อมูลแสดง",
        "en": "The card could not be read: nothing is shown",
    },
    "not_thai_card": {
        "th": "ไม่ใช่บัตรประชาชนไทย (ไม่พบแอปเพล็ตของกรมการปกครอง)",
        "en": "Not a Thai ID card (the MOI applet did not answer)",
    },
    "citizen_id": {"th": "เลขประจำตัวประชาชน", "en": "Citizen ID"},
    "name_th": {"th": "ชื่อ-สกุล (ไทย)", "en": "Name (Thai)"},
    "name_en": {"th": "ชื่อ-สกุล (อังกฤษ)", "en": "Name (English)"},
    "birth_date": {"th": "วันเกิด (พ.ศ.)", "en": "Birth date (Buddhist era)"},
    "sex": {"th": "เพศ", "en": "Sex"},
    "address": {"th": "ที่อยู่", "en": "Address"},
    "issue_date": {"th": "วันออกบัตร", "en": "Issued"},
    "expiry_date": {"th": "วันบัตรหมดอายุ", "en": "Expires"},
    "issuer": {"th": "สถานที่ออกบัตร", "en": "Issued by"},
    "photo": {"th": "รูปถ่าย", "en": "Photo"},
    "no_photo": {"th": "ไม่มีรูปในบัตร", "en": "No photo on the card"},
    "checks": {"th": "การตรวจสอบ", "en": "Checks"},
    "check_applet": {"th": "บัตรของกรมการปกครองตอบรับ", "en": "MOI card applet answered"},
    "check_digit": {"th": "เลขตรวจสอบ (หลักที่ 13)", "en": "Check digit (13th)"},
    "check_expiry": {"th": "อายุบัตร", "en": "Expiry"},
    "copy_title": {"th": "ทำสำเนาโดยสำนักงาน", "en": "Office-made copy"},
    "purpose": {"th": "ใช้สำหรับงานบริการ", "en": "For the service"},
    "make_copy": {"th": "ทำสำเนา", "en": "Make copy"},
    "no_services": {
        "th": "ยังไม่ได้ตั้งค่างานบริการของสำนักงาน (officer_view.services)",
        "en": "No office services configured (officer_view.services)",
    },
    "copy_done": {"th": "ส่งสำเนาไปที่เครื่องพิมพ์แล้ว", "en": "The copy was sent to the printer"},
    "copy_failed": {"th": "ทำสำเนาไม่สำเร็จ", "en": "The copy failed"},
    "copy_stale": {
        "th": "บัตรเปลี่ยนหรือถูกดึงออกแล้ว: ไม่ได้พิมพ์",
        "en": "The card changed or was removed: nothing printed",
    },
    "pairing": {"th": "จับคู่คอมพิวเตอร์ของเจ้าหน้าที่", "en": "Pair an officer's PC"},
    "pairing_show": {"th": "แสดงรหัสจับคู่", "en": "Show a pairing code"},
    "pairing_code": {
        "th": "พิมพ์รหัสนี้ในหน้า /pair ของคอมพิวเตอร์เจ้าหน้าที่ ใช้ได้ครั้งเดียว ภายใน {s} วินาที",
        "en": "Type this code on the officer PC's /pair page: single use, valid {s} s",
    },
    "pair_prompt": {
        "th": "รหัสจับคู่ (แสดงที่หน้าจอเครื่องที่เคาน์เตอร์)",
        "en": "Pairing code (shown on the counter's screen)",
    },
    "pair_submit": {"th": "จับคู่", "en": "Pair"},
    "pair_refused": {
        "th": "รหัสไม่ถูกต้อง ใช้แล้ว หรือหมดอายุ: ขอรหัสใหม่ที่หน้าจอเครื่องที่เคาน์เตอร์",
        "en": "Code wrong, used or expired: show a new one on the counter's screen",
    },
    "not_paired": {
        "th": "คอมพิวเตอร์นี้ยังไม่ได้จับคู่กับเครื่องที่เคาน์เตอร์",
        "en": "This PC is not paired with the counter",
    },
    "back": {"th": "กลับ", "en": "Back"},
}


def t(key: str, lang: Lang, **values: object) -> str:
    return STRINGS[key][lang].format(**values)
