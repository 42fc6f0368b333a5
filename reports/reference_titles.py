"""Plain-language titles of the citations the instruments make, for the crosswalk.

A board reader cannot tell what "45 CFR 164.312(e)(1)" or "GOVERN 1.6" is about. Each bare
citation the shipped instruments use gets a short title here, worded after the heading of
the section or subcategory it names. References that already carry words ("WHO AI ethics:
Ensure transparency") need none. Pure data: gaps.py looks titles up, tests check that every
bare citation of a shipped instrument has one.
"""

from __future__ import annotations

import re

_HIPAA = {
    "164.308(a)(1)": "Security management process",
    "164.308(a)(1)(ii)(A)": "Risk analysis",
    "164.308(a)(1)(ii)(D)": "Review of information system activity",
    "164.308(a)(4)": "Information access management",
    "164.308(a)(5)": "Security awareness and training",
    "164.308(a)(6)": "Security incident procedures",
    "164.308(a)(7)": "Contingency plan",
    "164.308(b)(1)": "Business associate contracts and other arrangements",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(i)": "Unique user identification",
    "164.312(a)(2)(iv)": "Encryption and decryption",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity of health information",
    "164.312(d)": "Person or entity authentication",
    "164.312(e)(1)": "Transmission security",
    "164.502(b)": "Minimum necessary use and disclosure",
    "164.502(g)": "Personal representatives",
    "164.504(e)": "Business associate contracts",
    "164.504(e)(2)(ii)(J)": "Business associate returns or destroys information at the end",
    "164.506(c)": "Use for treatment, payment and health care operations",
    "164.508": "Uses and disclosures that need the patient's authorization",
    "164.508(a)(1)": "Authorization required: the general rule",
    "164.508(a)(2)": "Authorization required for psychotherapy notes",
    "164.512(c)": "Disclosures about victims of abuse, neglect or domestic violence",
    "164.512(i)": "Uses and disclosures for research",
    "164.512(j)": "Disclosures to avert a serious threat to health or safety",
    "164.514(b)": "De-identification of health information",
    "164.514(e)": "Limited data sets and data use agreements",
    "164.520": "Notice of privacy practices",
    "164.530(c)": "Safeguards for the privacy of health information",
}

_NIST = {
    "GOVERN 1.1": "Legal and regulatory requirements are understood and documented",
    "GOVERN 1.4": "Risk management is set out in transparent policies",
    "GOVERN 1.5": "Risk management is monitored and reviewed periodically",
    "GOVERN 1.6": "An inventory of AI systems is kept",
    "GOVERN 1.7": "AI systems are decommissioned safely",
    "GOVERN 2.1": "Roles, responsibilities and lines of communication are documented",
    "GOVERN 2.2": "Staff and partners are trained in AI risk management",
    "GOVERN 2.3": "Executive leadership takes responsibility for AI risk decisions",
    "GOVERN 3.1": "Decisions are informed by a diverse team",
    "GOVERN 3.2": "Roles for human oversight of AI are defined",
    "GOVERN 4.1": "Policies foster a safety-first mindset",
    "GOVERN 4.3": "Testing, incident finding and information sharing are in place",
    "GOVERN 5.1": "Feedback from people outside the team is collected and used",
    "GOVERN 5.2": "Feedback is fed back into the system's design",
    "GOVERN 6.1": "Risks of third-party AI and data are addressed",
    "GOVERN 6.2": "Contingency plans cover third-party failures",
    "MAP 1.1": "Intended purpose and context of use are documented",
    "MAP 1.6": "Requirements are gathered from the people involved",
    "MAP 2.1": "The tasks the AI performs are defined",
    "MAP 2.2": "Limits of the AI and how people oversee it are documented",
    "MAP 2.3": "Scientific integrity and testing are considered",
    "MAP 3.3": "The scope of use is specified",
    "MAP 3.4": "Users' proficiency with the AI is ensured",
    "MAP 3.5": "Human oversight processes are defined",
    "MAP 4.1": "Legal and technology risks of components are mapped",
    "MAP 5.1": "Likelihood and size of each impact are documented",
    "MEASURE 2.1": "Test sets, metrics and tools are documented",
    "MEASURE 2.2": "Evaluations with people meet requirements and are representative",
    "MEASURE 2.3": "Performance is measured in conditions like real use",
    "MEASURE 2.4": "The AI is monitored in production",
    "MEASURE 2.5": "The AI is shown valid and reliable; its limits are documented",
    "MEASURE 2.6": "The AI is evaluated regularly for safety risks",
    "MEASURE 2.7": "Security and resilience are evaluated",
    "MEASURE 2.11": "Fairness and bias are evaluated",
    "MEASURE 3.1": "New and emerging risks are tracked",
    "MEASURE 3.3": "Users and patients can report problems and appeal",
    "MEASURE 4.3": "Changes in performance are identified and documented",
    "MANAGE 1.1": "Whether the AI meets its purpose and should go ahead is decided",
    "MANAGE 1.3": "Responses to high-priority risks are planned",
    "MANAGE 2.1": "Resources and non-AI alternatives are considered",
    "MANAGE 2.2": "The value of deployed AI is sustained",
    "MANAGE 2.3": "Unknown risks are responded to and recovered from",
    "MANAGE 2.4": "AI that misbehaves can be switched off",
    "MANAGE 3.1": "Third-party AI is monitored",
    "MANAGE 3.2": "Pre-trained models are monitored",
    "MANAGE 4.1": "Monitoring after go-live, with appeal, override and incident response",
    "MANAGE 4.3": "Incidents and errors are communicated and tracked",
}

REFERENCE_TITLES: dict[str, str] = {
    **{f"HIPAA 45 CFR {section}": title for section, title in _HIPAA.items()},
    **{f"NIST AI RMF {code}": title for code, title in _NIST.items()},
    "42 CFR 2.31": "Patient consent to disclose substance use disorder records",
    "42 CFR 2.32": "Notice that must accompany a disclosure (no redisclosure)",
    "45 CFR 170.315(g)(10)": "Standardized API for patient and population services",
    "45 CFR 92.210": "Nondiscrimination in patient care decision support tools",
    "FDA CDS guidance 2026: Criterion 4": (
        "Clinicians can independently review the basis of a recommendation"
    ),
}

# Parts of a citation that are not words a reader understands.
_CITATION_TOKEN = re.compile(
    r"^(\d[\w.()]*|\(?\w\)|CFR|Part|GOVERN|MAP|MEASURE|MANAGE|Criterion|§)$", re.IGNORECASE
)


def reference_title(reference: str) -> str:
    """The plain-language title of a cited reference, "" when it already says what it is."""
    return REFERENCE_TITLES.get(reference.strip(), "")


def is_bare_citation(label: str) -> bool:
    """True when a reference's label is numbers and citation words only ("45 CFR 92.210",
    "GOVERN 1.6"), so a reader needs a title beside it."""
    words = [w for w in label.replace(",", " ").split() if not _CITATION_TOKEN.match(w)]
    return not words
