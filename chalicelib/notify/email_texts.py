"""What the organizers' emails say, in each language: the single email's texts, and a digest's own."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "new": "New submission: {title}",
        "intro": "A new submission arrived through the form \u201c{title}\u201d.",
        "yes": "yes",
        "no": "no",
        "id": "Submission id",
        "form": "Form",
        "received": "Received",
        "reply": "Press Reply to answer the sender.",
        "metadata_only": "This form is set to metadata-only mode: the full submission is not in this email.",
        "read_rest": "Read it from the bucket with:",
        "not_given": "(not given)",
        "files": "Files",
        "files_attached": "{count} file(s) attached to this email.",
        "files_linked": "The files are too large to attach ({size} MB in all). Download them within 7 days:",
        "files_kept": "{count} file(s) are stored with the submission.",
        "new_encrypted": "New encrypted submission: {title} ({id})",
        "encrypted": "This form is encrypted: only its clear fields are in this email. The rest is in the attached "
        "file, which only the form's age keys open.",
        "decrypt": "Decrypt the attached file with your key:",
        "encrypted_files": "The files are encrypted too, one .age file each: their names are in {id}.age, and "
        "letterbox files {id} --identity key.txt saves them under those names.",
        "encrypted_digest": "This form is encrypted: only its clear fields are listed. To read a submission: "
        "letterbox show ID --identity key.txt",
    },
    "ru": {
        "new": "Новая отправка: {title}",
        "intro": "Через форму «{title}» пришла новая отправка.",
        "yes": "да",
        "no": "нет",
        "id": "Номер отправки",
        "form": "Форма",
        "received": "Получено",
        "reply": "Чтобы ответить отправителю, нажмите «Ответить».",
        "metadata_only": "Для этой формы включён режим «только метаданные»: полный текст не приводится в письме.",
        "read_rest": "Прочитать его в хранилище можно так:",
        "not_given": "(не указано)",
        "files": "Файлы",
        "files_attached": "Файлов приложено к письму: {count}.",
        "files_linked": "Файлы слишком велики для письма ({size} МБ всего). Скачайте их в течение 7 дней:",
        "files_kept": "Файлов сохранено вместе с отправкой: {count}.",
        "new_encrypted": "Новая зашифрованная отправка: {title} ({id})",
        "encrypted": "Эта форма зашифрована: в письме только её открытые поля. Остальное в приложенном файле, "
        "который открывают только ключи age этой формы.",
        "decrypt": "Расшифруйте приложенный файл своим ключом:",
        "encrypted_files": "Файлы тоже зашифрованы, каждый в своём файле .age: их названия внутри {id}.age, а "
        "letterbox files {id} --identity key.txt сохранит их под этими названиями.",
        "encrypted_digest": "Эта форма зашифрована: в списке только открытые поля. Прочитать отправку: "
        "letterbox show ID --identity key.txt",
    },
}


DIGEST_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "{kind}: {title}, {count} new, {period}",
        "hourly": "Hourly digest",
        "daily": "Daily digest",
        "intro": "{count} submission(s) arrived through the form \u201c{title}\u201d from {start} to {end} ({zone}).",
        "list": "Submissions",
        "meta": "id {id}, received {received}",
        "unread": "{count} more submission(s) of this period are listed by id only: read them with letterbox show ID.",
        "short": "The rest are listed above only, to keep this email small: read them with letterbox show ID.",
        "period": "Period",
        "count": "Submissions",
    },
    "ru": {
        "subject": "{kind}: {title}, новых: {count}, {period}",
        "hourly": "Сводка за час",
        "daily": "Сводка за день",
        "intro": "Через форму «{title}» пришло отправок: {count}, с {start} по {end} ({zone}).",
        "list": "Отправки",
        "meta": "номер {id}, получено {received}",
        "unread": "Ещё отправок за этот период: {count}; здесь указаны только их номера: letterbox show НОМЕР.",
        "short": "Остальные перечислены только в списке выше, чтобы письмо не было слишком большим: "
        "letterbox show НОМЕР.",
        "period": "Период",
        "count": "Отправок",
    },
}
