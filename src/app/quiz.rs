//! The quizzes of a run: which were asked, what the learner chose, what the run then
//! reported. Grading compares the two; the lesson never holds the answer.

use serde_json::Value;

use crate::lesson::quiz::Quiz;
use crate::trace::event::Event;

#[derive(Debug, Clone, PartialEq)]
pub struct QuizRun {
    /// The lesson step whose gate asked it.
    pub step: usize,
    /// Index into the quiz's choices.
    pub chosen: Option<usize>,
    /// The first matching event after the gate: the run's own answer.
    pub reported: Option<Value>,
    /// Presenter mode: the class's votes per choice (a press of a digit each), frozen
    /// once the run has answered. Empty outside presenter mode.
    pub votes: Vec<u32>,
}

impl QuizRun {
    pub fn new(step: usize) -> QuizRun {
        QuizRun {
            step,
            chosen: None,
            reported: None,
            votes: Vec::new(),
        }
    }

    /// Right or wrong, once both the learner and the run have answered.
    pub fn verdict(&self, quiz: &Quiz) -> Option<bool> {
        let choice = quiz.choices.get(self.chosen?)?;
        Some(choice.is_right(self.reported.as_ref()?))
    }

    /// Takes the learner's choice (0-based) while the run has not answered yet.
    pub fn choose(&mut self, quiz: &Quiz, index: usize) -> bool {
        let open = self.reported.is_none() && index < quiz.choices.len();
        if open {
            self.chosen = Some(index);
        }
        open
    }

    /// A class's vote for a choice (0-based) while the run has not answered: the
    /// choice graded is then the most voted, a tie going to the one pressed last.
    pub fn vote(&mut self, quiz: &Quiz, index: usize) -> bool {
        let open = self.reported.is_none() && index < quiz.choices.len();
        if open {
            self.votes.resize(quiz.choices.len(), 0);
            self.votes[index] = self.votes[index].saturating_add(1);
            // `chosen` was the most voted before; only `index` gained.
            let lead = self
                .chosen
                .and_then(|c| self.votes.get(c).copied())
                .unwrap_or(0);
            if self.votes[index] >= lead {
                self.chosen = Some(index);
            }
        }
        open
    }

    /// Records the run's answer if `e` is the event the quiz waits for.
    pub fn observe(&mut self, quiz: &Quiz, e: &Event, label: Option<&str>) {
        if self.reported.is_none() {
            self.reported = quiz.answer.read(e, label);
        }
    }
}

/// (right, graded) over a run's quizzes.
pub fn score(
    quizzes: &[QuizRun],
    lesson: &crate::lesson::Lesson,
    variant: Option<usize>,
) -> (usize, usize) {
    let verdicts = quizzes.iter().filter_map(|q| {
        let quiz = lesson.step_quiz(q.step, variant)?;
        q.verdict(quiz)
    });
    verdicts.fold((0, 0), |(right, n), v| (right + usize::from(v), n + 1))
}
