// The events each producing service contributes to reporting's read models: one file per service, each adding its
// payload types to the projector's router. A new service joins reporting with its file here, a line in
// EventProjector's constructor, and its indicators in domain/indicators.h.
//
// Thread-safety: handlers run on the projection's thread only.
#pragma once

#include "common/projection/event_router.h"

namespace jinguo::reporting::store {

class EventProjector;

// jinguo.registration.events.v1: beneficiaries, households, pairings, visits, duplicates and merges.
void RouteRegistrationEvents(projection::EventRouter& router, EventProjector& projector);

// jinguo.health.events.v1: screenings join her timeline (no result); two-cancer insurance per policy year. Follow-up
// events, claims, relief and confirmed cancers carry health results (by what they are) and never reach a profile anyone
// else reads.
void RouteHealthEvents(projection::EventRouter& router, EventProjector& projector);

// jinguo.loans.events.v1: each loan's figures on its borrower's profile (her loans count where she lives), accrued
// subsidy per loan, claims paid by region; applications, disbursements and closings on her timeline.
void RouteLoanEvents(projection::EventRouter& router, EventProjector& projector);

// jinguo.training.events.v1: programmes, participants, postings and positions by the region they belong to; her
// trainings, placements and 春蕾 aid on her profile and timeline.
void RouteTrainingEvents(projection::EventRouter& router, EventProjector& projector);

// jinguo.publicity.events.v1: households reached per campaign, cleaned and needing help on the household's state;
// events by kind, materials, attendees, volunteers, hours, donations and venues by the region they belong to.
void RoutePublicityEvents(projection::EventRouter& router, EventProjector& projector);

}  // namespace jinguo::reporting::store
