"""Free text the screening cannot read (DEC-2, SYS-8): words not in English.

The free-text lexicon reads English only, while the client's own pre-visit form is
offered in Spanish too; a client who writes "tengo dolor en el pecho desde esta mañana"
would pass unread. DEC-2 says that where the words are unclear the net fires, and SYS-8
holds a client whose screening cannot be completed: so a sentence written in another
language holds the client (no assessment, no training) until a member of staff who
reads it has read it and dismissed the flag saying what it says (correcting the intake
first when it describes a symptom).

The test is deliberately plain: per sentence, the common short words of English against
those of the languages a gym's clients most often write in (and letters of another
script), so an English sentence with a foreign name or word in it ("my abuela has
diabetes") is still read as English. Pure: standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Common English words, function words first, then the body and symptom words that
# short notes are made of ("knee pain 3 wks", "sore back after squats").
ENGLISH = _vocab("""
a about after ago all also am an and any are as at back bad be been before but by can
cant can't chest could day days did do does dont don't down even ever feel feels felt
few for from get gets got had has have having he her here him his how i if i'm in into
is it its it's just knee last left leg legs like little lot me month months more most
much my neck never new night no not now of off often on once one or other our out over
pain painful past right same see she shoulder since sleep so some sore still such than
that the their them then there they this those through time to today too twice two up
very walk was we week weeks well went were what when where which while who will with
work would year years yes yesterday you your arm arms ankle hip hips foot feet hand
back's hurts hurt ache aches doctor gp im plus com para nos sus
""")

# Per language, common short words and the words of a client's notes that are not
# English words (so "a", "me", "no", "per", "die", "son", "po" are left out). Languages
# without a name on the staff page are listed too: what matters is noticing.
FOREIGN = {
    "es": _vocab("""
    de el la los las en y que con por para una un mi mis se es del al muy pero cuando
    desde tengo tiene tenía tuve hace estoy está esta estaba dolor dolores años semana
    semanas días ayer hoy mañana noche pierna piernas espalda pecho rodilla brazo
    cabeza derecha izquierda derecho izquierdo mucho poco también sin sobre después antes
    porque donde todo siempre nunca más menos le su sus yo nos hasta entre me duele
    dolía siento mareo mareos falta aire cuello hombro tobillo cadera médico fiebre
    caminar subir escaleras sufro padezco tomo tomar pastillas pastilla presión alta baja
    veo todo negro fuerza fuertes empiezan energía energia hijo hija ninguna ninguno
    lesión lesion discal fracturé fractura rodiya vez veces quiero bajar
    peso trabajo agacho levantar levanto cuando rápido rapido ya nada tuve operación
    operacion cirugía cirugia hinchado hinchada hinchazón adormecido hormigueo pies
    mano manos dedos esposa esposo dice trajo corazón corazon respirar ahogo cansado
    cansada mucha muchas
    """),
    "pt": _vocab("""
    de do da dos das em que com uma um meu minha se é muito mas quando desde tenho tem
    estou está dor dores anos semana semanas dias ontem hoje amanhã noite perna pernas
    costas peito joelho braço cabeça também sem depois antes porque onde sempre nunca
    já mais menos eu não na no nas nos pelo pela sinto dói tontura febre médico andar
    sou tomo remédio remedio pra pressão pressao todo dia faço faco às vezes fico vista
    escura quero perder peso trabalho sentado inteiro tornozelo inchado inchada torci
    jogando bola machuquei cotovelo treino ar falta ombro pescoço quadril cirurgia
    coração coracao respirar cansado cansada dormência formigamento pé pés mão
    """),
    "fr": _vocab("""
    le la les de des du et je j'ai mon ma mes dans avec pour une un est suis pas ne
    depuis douleur douleurs jambe jambes dos poitrine genou tête très mais quand
    aussi sans après avant parce où toujours jamais déjà moins hier aujourd'hui
    nuit semaine semaines jours ans mal au aux cou épaule cheville hanche
    fièvre médecin marcher essoufflement essoufflé essoufflée souffle vertiges vertige
    fatigué fatiguée opéré opérée genoux mains pieds coeur cœur respirer enflé
    enflée gonflé gonflée ai avais c'est il elle nous veux perdre poids travail
    """),
    "de": _vocab("""
    ich habe hatte und der das mit seit mein meine meinen nicht ist schmerzen
    schmerz bein beine rücken brust knie kopf sehr aber wenn auch ohne nach vor weil
    wo immer nie schon mehr weniger gestern heute nacht woche wochen tage jahre jahren
    ein eine einen im zum beim tut weh fieber arzt gehen schulter hüfte
    rückenschmerzen knieschmerzen kopfschmerzen bandscheibenvorfall seitdem
    taubheitsgefühl rechten linken rechts letzten jahr kann ganz heben einer
    dem des zu bei auf ist sind wurde operiert geschwollen schwindel atemnot
    herz möchte abnehmen arbeit
    """),
    "it": _vocab("""
    il di che ho con una mio mia dolore dolori gamba gambe schiena petto ginocchio
    braccio testa molto ma quando anche senza dopo prima perché dove sempre mai già più
    meno ieri oggi domani notte settimana settimane giorni anni non sono mi fa male
    collo spalla caviglia anca febbre medico camminare della dello degli nel nella
    prendo pillola pressione volte gira vorrei dimagrire rinforzare lavoro tutto giorno
    al dormito riesco girare destra sinistra gonfio gonfia capogiri vertigini fiato
    cuore respirare stanco stanca operato operata ginocchia piedi mani
    """),
    "pl": _vocab("""
    się nie jest mnie mam boli ból bóle kolana kolano kręgosłup plecy głowa noga nogi
    od że jak przy po w z na rano wstaniu szczególnie odcinku lędźwiowym
    """) - {"po", "w", "z"},
    "ro": _vocab("""
    și sunt foarte dureri durere spate genunchi când după fost operată operat încă
    umflă efort uneori amețeli ridic repede cu mă nu la în de pe
    """),
    "tr": _vocab("""
    ve bir bu çok var yok ağrı ağrısı ile için ben benim merdiven çıkarken göğsümde
    oluyor nefesim daralıyor bel fıtığım doktor ağır kaldırmamamı söyledi dizim
    """),
    "tl": _vocab("""
    ang ng ko ako mga siya niya kapag umaakyat hagdan masakit tuhod mataas presyon
    madalas nahihilo sa ay ito hindi lang likod dibdib
    """),
    "vi": _vocab("""
    tôi bị đau lưng dưới và tê chân trái khi ngồi lâu tiểu đường đang uống thuốc mỗi
    ngày không có ngực khó thở
    """),
}
FOREIGN = {lang: words - ENGLISH for lang, words in FOREIGN.items()}
_ANY_FOREIGN = frozenset().union(*FOREIGN.values())
# English words spelt with letters English seldom uses (loan words), and a capital
# inside a sentence is a name: neither says the sentence is in another language.
LOANS = _vocab("café cafés déjà naïve résumé fiancé fiancée cliché façade jalapeño piñata "
               "crème brûlée protégé entrée über señor señora")

# Words Caribbean English shares with Spanish, Italian and German ("mi foot swell up", "di
# pain"): on their own, with no other word of those languages, they say nothing.
_CREOLE = frozenset({"mi", "di", "dem"})

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SENTENCE = re.compile(r"[^.!?;:\n]+")
_LATIN_MAX = 0x024F  # Basic Latin to Latin Extended-B
_MIN_WORDS = 3


def _other_script(sentence: str) -> bool:
    """Mostly letters of a script other than Latin (Arabic, Cyrillic, Greek, CJK,
    Devanagari...): at least two, and more than the Latin ones."""
    other = latin = 0
    for ch in sentence:
        if ch.isalpha():
            if ord(ch) > _LATIN_MAX and unicodedata.category(ch).startswith("L"):
                other += 1
            else:
                latin += 1
    return other >= 2 and other > latin


_MARKED = frozenset("ßłđıøæœ")


def _marked(ch: str) -> bool:
    """A Latin letter with a diacritic (é, ñ, ü, ș, ạ) or one English lacks (ß, ł)."""
    if ch.isascii():
        return False
    base = unicodedata.decomposition(ch).split(" ")[0]
    return ch.lower() in _MARKED or (base.isalnum() and int(base, 16) < 0x80)


def _accented(word: str, first: bool) -> bool:
    """A word with a letter English does not use (ñ, ã, ü, ł, ș, đ...), written in lower
    case or first in its sentence (a capital elsewhere is a name: "Señora García")."""
    return (not word.isascii() and (first or not word[0].isupper())
            and word.lower() not in LOANS and any(map(_marked, word)))


def sentence_language(sentence: str) -> str | None:
    """The language a sentence is written in when it is not English (a code of FOREIGN,
    "other" for another script or an unlisted language), else None (English, or too
    short or too mixed to tell: read as English)."""
    if _other_script(sentence):
        return "other"
    words = _WORD.findall(sentence)
    if not words:
        return None
    low = [w.lower() for w in words]
    english = sum(w in ENGLISH for w in low)
    best, hits = None, 0
    creole = all(w in _CREOLE or w not in _ANY_FOREIGN for w in low)
    for lang, vocab in FOREIGN.items():
        n = 0 if creole else sum(w in vocab for w in low)
        if n > hits:
            best, hits = lang, n
    vocab = FOREIGN.get(best or "", frozenset())
    accented = sum(_accented(w, i == 0) and w.lower() not in vocab for i, w in enumerate(words))
    foreign = hits + accented
    if len(words) < _MIN_WORDS:  # a short answer ("mareos", "dolor lumbar"): a word of
        # four letters or more ("+ve", "Y" for yes are English notes' shorthand); every
        # word capitalised is a name or a sign-off ("Dr Lang", "Anna Lang"), not a language
        if english or not any(len(w) >= 4 and (w in vocab or _accented(w, True)) for w in low) \
                or (len(words) > 1 and all(w[:1].isupper() for w in words)):
            return None
    elif foreign < 2 or 2 * foreign <= 3 * english:
        return None
    return best or "other"


def _label(piece: str) -> bool:
    """A name before a colon: one or two words, each capitalised ("Bola", "Dr Lang")."""
    words = _WORD.findall(piece)
    return 0 < len(words) < _MIN_WORDS and all(w[:1].isupper() for w in words)


@lru_cache(maxsize=4096)
def unread(text: str) -> tuple[str, str] | None:
    """(language, the sentences in it) when part of ``text`` is not in English, else
    None. The language is that of the most sentences (the first on a tie)."""
    # Issue 13: nearly every text is ASCII English with none of the foreign words, and a
    # sentence is read as foreign only with one of them (or an accent, or a script).
    if text.isascii() and _ANY_FOREIGN.isdisjoint(_WORD.findall(text.lower())):
        return None
    found: list[tuple[str, str]] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip()
        if text.startswith(":", match.end()) and _label(sentence):
            continue  # a chat's or a form's label ("[08:15] Bola: ..."), not a sentence
        lang = sentence_language(sentence) if sentence else None
        if lang:
            found.append((lang, sentence))
    if not found:
        return None
    langs = [lang for lang, _ in found]
    top = max(dict.fromkeys(langs), key=langs.count)
    return top, ". ".join(s for _, s in found)
