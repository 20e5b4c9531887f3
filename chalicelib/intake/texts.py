"""Everything a person reads in an answer, in English and Russian."""

from __future__ import annotations

LANGUAGES = ("en", "ru")

MESSAGES: dict[str, dict[str, str]] = {
    # Field errors: never include the submitted value.
    "required": {"en": "This field is required.", "ru": "Это поле обязательно."},
    "type": {"en": "Must be {expected}.", "ru": "Нужно ввести {expected}."},
    "min_length": {"en": "Must be at least {n} characters.", "ru": "Не короче {n} {chars}."},
    "max_length": {"en": "Must be at most {n} characters.", "ru": "Не длиннее {n} {chars}."},
    "format_date": {
        "en": "Must be a date like 2026-11-14.",
        "ru": "Укажите дату в виде 2026-11-14.",
    },
    "format_email": {
        "en": "Must be an email address like name@example.org.",
        "ru": "Укажите адрес почты, например name@example.org.",
    },
    "format_uri": {
        "en": "Must be a web address starting with http:// or https://.",
        "ru": "Укажите веб-адрес, начинающийся с http:// или https://.",
    },
    "pattern": {"en": "This value has the wrong form.", "ru": "Значение в неверном виде."},
    "enum": {
        "en": "Choose one of the offered options.",
        "ru": "Выберите один из предложенных вариантов.",
    },
    "minimum": {"en": "Must be at least {n}.", "ru": "Не меньше {n}."},
    "maximum": {"en": "Must be at most {n}.", "ru": "Не больше {n}."},
    "min_items": {"en": "Give at least {n}.", "ru": "Укажите хотя бы {n}."},
    "max_items": {"en": "Give at most {n}.", "ru": "Не больше {n}."},
    "unique_items": {"en": "Each entry must be different.", "ru": "Записи не должны повторяться."},
    "unknown_field": {"en": "This field is not part of the form.", "ru": "Такого поля нет в форме."},
    "invalid": {"en": "This value is not accepted.", "ru": "Это значение не принимается."},
    "attachment_missing": {
        "en": "This file was not found. Please upload it again.",
        "ru": "Файл не найден. Загрузите его ещё раз.",
    },
    "attachment_too_large": {"en": "This file is larger than {limit} MB.", "ru": "Файл больше {limit} МБ."},
    "attachment_type": {
        "en": "This type of file is not accepted. Send PDF, JPEG, PNG, WebP or HEIC.",
        "ru": "Файлы такого типа не принимаются. Отправьте PDF, JPEG, PNG, WebP или HEIC.",
    },
    "attachment_not_sealed": {
        "en": "This file was not encrypted before it was sent. Remove it, then add it again.",
        "ru": "Этот файл не был зашифрован перед отправкой. Удалите его и добавьте снова.",
    },
    "type_string": {"en": "text", "ru": "текст"},
    "type_integer": {"en": "a whole number", "ru": "целое число"},
    "type_number": {"en": "a number", "ru": "число"},
    "type_boolean": {"en": "yes or no", "ru": "«да» или «нет»"},
    "type_array": {"en": "a list", "ru": "список"},
    "type_object": {"en": "a group of fields", "ru": "группу полей"},
    # Problem titles and details.
    "invalid_title": {
        "en": "Some fields need your attention",
        "ru": "Проверьте, пожалуйста, некоторые поля",
    },
    "invalid_detail": {
        "en": "Nothing was saved. Correct the fields listed and send again.",
        "ru": "Ничего не сохранено. Исправьте отмеченные поля и отправьте ещё раз.",
    },
    "bad_body_title": {"en": "The form could not be read", "ru": "Не удалось прочитать форму"},
    "bad_json": {
        "en": "The body is not valid JSON, or not a JSON object.",
        "ru": "Тело запроса — не JSON-объект.",
    },
    "bad_form_encoding": {
        "en": "The form data could not be read as UTF-8 text.",
        "ru": "Данные формы не удалось прочитать как текст UTF-8.",
    },
    "bad_encoding": {
        "en": "The body must be UTF-8 text without a byte order mark.",
        "ru": "Тело запроса должно быть текстом UTF-8 без метки порядка байтов.",
    },
    "duplicate_key": {
        "en": "The same field appears twice in the JSON body.",
        "ru": "Одно и то же поле встречается в JSON дважды.",
    },
    "too_deep": {
        "en": "The data is nested too deeply.",
        "ru": "Данные вложены слишком глубоко.",
    },
    "bad_unicode": {
        "en": "This text contains characters that are not valid Unicode.",
        "ru": "В тексте есть символы, недопустимые в Юникоде.",
    },
    "too_many_values": {
        "en": "The submission holds more than {n} values. Please shorten it.",
        "ru": "В отправке больше {n} значений. Сократите её, пожалуйста.",
    },
    "more_errors": {
        "en": "…and {n} more.",
        "ru": "…и ещё {n}.",
    },
    "captcha_title": {"en": "Please confirm you are human", "ru": "Подтвердите, что вы человек"},
    "captcha_missing": {
        "en": "The captcha was not completed. Please solve it and send again.",
        "ru": "Капча не пройдена. Пройдите её и отправьте ещё раз.",
    },
    "captcha_expired": {
        "en": "The captcha expired. Please solve it again and send again.",
        "ru": "Время капчи истекло. Пройдите её заново и отправьте ещё раз.",
    },
    "captcha_used": {
        "en": "This captcha was already used. Please solve it again.",
        "ru": "Эта капча уже использована. Пройдите её заново.",
    },
    "captcha_invalid": {
        "en": "The captcha answer was not accepted. Please solve it again.",
        "ru": "Ответ капчи не принят. Пройдите её заново.",
    },
    "captcha_wrong_site": {
        "en": "The captcha was solved on a site this form does not belong to.",
        "ru": "Капча пройдена на сайте, к которому эта форма не относится.",
    },
    "unavailable_title": {"en": "Temporarily unavailable", "ru": "Временно недоступно"},
    "captcha_unavailable": {
        "en": "The captcha service cannot be reached. Nothing was saved; please try again in a minute.",
        "ru": "Сервис капчи недоступен. Ничего не сохранено; попробуйте через минуту.",
    },
    "storage_unavailable": {
        "en": "Your submission could not be saved right now. Please try again in a minute.",
        "ru": "Сейчас не удалось сохранить отправку. Попробуйте, пожалуйста, через минуту.",
    },
    "origin_title": {"en": "Not allowed from this site", "ru": "С этого сайта нельзя"},
    "origin_detail": {
        "en": "This form does not accept submissions from the page it was sent from.",
        "ru": "Эта форма не принимает отправки со страницы, с которой она отправлена.",
    },
    "too_large_title": {"en": "Too large", "ru": "Слишком большой объём"},
    "too_large_detail": {
        "en": "The submission is larger than {limit} KB. Please shorten it.",
        "ru": "Отправка больше {limit} КБ. Сократите её, пожалуйста.",
    },
    "media_type_title": {"en": "Unsupported content type", "ru": "Неподдерживаемый тип данных"},
    "media_type_detail": {
        "en": "Send application/json or application/x-www-form-urlencoded.",
        "ru": "Отправляйте application/json или application/x-www-form-urlencoded.",
    },
    "charset_detail": {
        "en": "Send the body as UTF-8 (charset=utf-8), the only character set accepted.",
        "ru": "Отправляйте тело запроса в кодировке UTF-8 (charset=utf-8): другие не принимаются.",
    },
    "not_found_title": {"en": "No such form", "ru": "Такой формы нет"},
    "not_found_detail": {
        "en": "There is no form with this name.",
        "ru": "Формы с таким названием нет.",
    },
    "no_uploads_title": {"en": "This form takes no files", "ru": "Эта форма не принимает файлы"},
    "no_uploads_detail": {
        "en": "Files can only be attached to forms that have a files field.",
        "ru": "Файлы можно прикладывать только к формам с полем для файлов.",
    },
    "no_wall_title": {"en": "This form has no wall", "ru": "У этой формы нет стены"},
    "no_wall_detail": {
        "en": "Nothing sent with this form is ever published.",
        "ru": "Ничего из отправленного через эту форму не публикуется.",
    },
    "bad_page_title": {"en": "No such page", "ru": "Такой страницы нет"},
    "bad_page_detail": {
        "en": "A page is a whole number from 1, like ?page=2.",
        "ru": "Номер страницы — целое число от 1, например ?page=2.",
    },
    "wall_unavailable": {
        "en": "The wall cannot be read right now. Please try again in a minute.",
        "ru": "Сейчас не удалось прочитать стену. Попробуйте, пожалуйста, через минуту.",
    },
    "idempotency_title": {"en": "Bad Idempotency-Key", "ru": "Неверный Idempotency-Key"},
    "idempotency_detail": {
        "en": "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
        "ru": "Заголовок Idempotency-Key должен содержать от 1 до 255 видимых символов ASCII.",
    },
    "internal_title": {"en": "Something went wrong", "ru": "Что-то пошло не так"},
    "internal_detail": {
        "en": "An unexpected error happened and nothing was saved. Please try again later.",
        "ru": "Произошла непредвиденная ошибка, ничего не сохранено. Попробуйте позже.",
    },
    # Pages for plain HTML posts.
    "thanks_title": {"en": "Thank you", "ru": "Спасибо"},
    "thanks_body": {
        "en": "Your submission has reached the organizers.",
        "ru": "Ваше сообщение получено организаторами.",
    },
    "thanks_back": {"en": "Back to the site", "ru": "Вернуться на сайт"},
    "errors_back": {
        "en": "Go back to the form to correct it",
        "ru": "Вернуться к форме и исправить",
    },
    "errors_back_hint": {
        "en": "Use your browser's Back button: what you typed is kept.",
        "ru": "Нажмите «Назад» в браузере: введённое сохранится.",
    },
}


def message(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (English when there is no translation)."""
    texts = MESSAGES[key]
    text = texts.get(lang) or texts["en"]
    if lang == "ru" and "n" in params:
        params.setdefault("chars", russian_plural(int(str(params["n"])), "символа", "символов", "символов"))
    return text.format(**params) if params else text


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def negotiate_language(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header; English otherwise."""
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = _quality(params)
        if quality > best_q:
            best, best_q = primary, quality
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
